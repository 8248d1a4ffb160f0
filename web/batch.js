// Batch denoising: several images dropped or chosen at once are denoised one after another with the current
// settings (noise, model, backend, upload mode), listed with their progress; the results download one by one or
// together as a zip (zip.js). window.daeBatch holds the run's progress; app.js starts it (dae.batch).
'use strict';

(() => {
  const panel = document.getElementById('batch');
  const title = document.getElementById('batch-title');
  const bar = document.getElementById('batch-progress');
  const list = document.getElementById('batch-list');
  const zipButton = document.getElementById('batch-zip');
  const stopButton = document.getElementById('batch-stop');
  const closeButton = document.getElementById('batch-close');
  const ZIP_NAME = 'denoised-images.zip';

  const batch = { running: false, done: 0, total: 0, results: [], zip: null, stopping: false };
  window.daeBatch = batch;

  // Names Windows keeps for devices, whatever the extension.
  const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

  // A file name as the person's system gave it, made safe as a zip entry: no folders (either slash), no control
  // characters or characters Windows refuses, no leading dots, trailing dots or spaces, not a device name, at most
  // 120 characters before the suffix.
  function safeStem(name) {
    let stem = String(name).split(/[\\/]/).pop().replace(/\.[^.]*$/, '');
    stem = stem.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_').replace(/^[.\s]+|[.\s]+$/g, '').slice(0, 120);
    if (!stem) stem = 'image';
    if (RESERVED.test(stem)) stem = `_${stem}`;
    return stem;
  }

  // photo.jpg -> photo-denoised.png; a name already taken in this batch, in any letter case (Photo.png and photo.png
  // would overwrite each other on a case-insensitive disk), gets -2, -3, ...
  function outputName(name, taken) {
    const stem = safeStem(name);
    let out = `${stem}-denoised.png`;
    for (let n = 2; taken.has(out.toLowerCase()); n++) out = `${stem}-denoised-${n}.png`;
    taken.add(out.toLowerCase());
    return out;
  }

  function row(name) {
    const li = document.createElement('li');
    const thumb = document.createElement('img');
    thumb.alt = '';
    const label = document.createElement('span');
    label.className = 'name';
    label.textContent = name;
    const status = document.createElement('span');
    status.className = 'status';
    status.textContent = 'waiting';
    li.append(thumb, label, status);
    list.appendChild(li);
    return { li, thumb, status };
  }

  function showProgress() {
    title.textContent = batch.running ? `Batch: ${batch.done} of ${batch.total} denoised`
      : `Batch: ${batch.results.filter((r) => r.ok).length} of ${batch.total} denoised`;
    bar.max = Math.max(1, batch.total);
    bar.value = batch.done;
  }

  function clearList() {
    for (const r of batch.results) if (r.url) URL.revokeObjectURL(r.url);
    list.replaceChildren();
    batch.results = [];
    batch.zip = null;
  }

  async function denoiseOne(file) {
    const dae = window.dae;
    const up = await dae.uploadFile(file);
    if (!up.ok) return { ok: false, message: up.message };
    await dae.whenIdle();
    // ONNX Runtime answers asynchronously: asking for the backend again waits for its result on this image, and
    // the app shows it once the engine's run that the request also started is done.
    if (dae.backend !== 'engine') {
      const r = await dae.setBackend(dae.backend);
      if (!r.ok) return { ok: false, message: r.message };
      await dae.whenIdle();
    }
    const s = dae.state();
    const png = await dae.resultPng();
    return { ok: true, message: up.message, width: s.width, height: s.height, psnrNoisy: s.psnrNoisy,
      psnrDenoised: s.psnrDenoised, asIs: s.cleansAsIs, sigmaNoisy: s.sigmaNoisy, sigmaDenoised: s.sigmaDenoised, png };
  }

  // files: File objects. Resolves with one result per file: {name, file, ok, message, width, height, psnrNoisy,
  // psnrDenoised, png (a Blob)}.
  async function run(files) {
    if (batch.running) throw new Error('a batch is already running');
    await window.dae.whenReady();
    clearList();
    Object.assign(batch, { running: true, stopping: false, done: 0, total: files.length });
    panel.hidden = false;
    zipButton.disabled = true;
    stopButton.hidden = false;
    const rows = files.map((f) => row(f.name || 'image'));
    showProgress();
    const taken = new Set();
    for (let i = 0; i < files.length; i++) {
      const { li, thumb, status } = rows[i];
      if (batch.stopping) {
        status.textContent = 'skipped';
        batch.results.push({ name: files[i].name, ok: false, message: 'skipped: the batch was stopped' });
        continue;
      }
      li.classList.add('active');
      status.textContent = 'denoising…';
      let r;
      try {
        r = await denoiseOne(files[i]);
      } catch (e) {
        r = { ok: false, message: String(e.message || e) };
      }
      r.name = files[i].name;
      li.classList.remove('active');
      if (r.ok) {
        r.file = outputName(r.name || 'image', taken);
        r.url = URL.createObjectURL(r.png);
        thumb.src = r.url;
        const link = Object.assign(document.createElement('a'), { href: r.url, download: r.file, textContent: 'PNG' });
        status.textContent = r.asIs
          ? `${r.width}×${r.height}, noise σ ${(r.sigmaNoisy * 255).toFixed(1)} → ${(r.sigmaDenoised * 255).toFixed(1)} /255 `
          : `${r.width}×${r.height}, PSNR ${r.psnrNoisy.toFixed(1)} → ${r.psnrDenoised.toFixed(1)} dB `;
        status.appendChild(link);
      } else {
        li.classList.add('failed');
        status.textContent = r.message;
      }
      batch.results.push(r);
      batch.done = i + 1;
      showProgress();
    }
    batch.running = false;
    stopButton.hidden = true;
    zipButton.disabled = !batch.results.some((r) => r.ok);
    showProgress();
    return batch.results;
  }

  // The results that worked, as one zip file (a Blob); kept as batch.zip for tests and scripts.
  async function zip() {
    const ok = batch.results.filter((r) => r.ok);
    batch.zip = await window.daeZip.storeBlobs(ok.map((r) => ({ name: r.file, blob: r.png })));
    return batch.zip;
  }

  // Any failure (too many files or bytes for a zip without zip64, a result the browser no longer holds, memory)
  // is said in the batch's title and the app's status line, never swallowed by the click.
  zipButton.addEventListener('click', async () => {
    try {
      const blob = await zip();
      const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: ZIP_NAME });
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
      batch.zipError = null;
    } catch (e) {
      batch.zipError = `Could not make the zip: ${e.message || e}`;
      title.textContent = batch.zipError;
      window.dae.message(batch.zipError, true);
    }
  });
  stopButton.addEventListener('click', () => { batch.stopping = true; });
  closeButton.addEventListener('click', () => {
    batch.stopping = true;
    panel.hidden = true;
  });

  batch.run = run;
  batch.zipResults = zip;
})();
