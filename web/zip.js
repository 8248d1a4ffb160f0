// A zip writer for the page's downloads: files stored as they are (PNGs are compressed already), each with its
// CRC-32 and a UTF-8 name, so any unzip tool reads the archive. window.daeZip.store(files) -> Blob, and
// window.daeZip.storeBlobs(files) -> Promise of a Blob made of the files' own Blobs.
'use strict';

(() => {
  const CRC_TABLE = new Uint32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  // MS-DOS date and time, the only ones the basic format has (two-second steps, years from 1980).
  function dosDateTime(d) {
    const time = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
    const date = (Math.max(0, d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
    return [time, date];
  }

  // entries: [{name, crc, size, data (a Uint8Array or a Blob of `size` bytes)}]. Without the zip64 extension an
  // archive holds at most 65535 files of under 4 GiB in all: more is refused rather than written wrong.
  function assemble(files, when) {
    if (files.length > 0xffff) throw new Error('a zip without zip64 holds at most 65535 files');
    const [time, date] = dosDateTime(when);
    const utf8 = new TextEncoder();
    const parts = [], central = [];
    let offset = 0;
    for (const f of files) {
      const name = utf8.encode(f.name);
      const { crc, size } = f;
      // The fields a local header and its central-directory entry share, from `at` on: version needed 2.0, flag
      // bit 11 (the name is UTF-8), method 0 (stored), time, date, CRC, sizes and the name's length.
      const shared = (view, at) => {
        view.setUint16(at, 20, true);
        view.setUint16(at + 2, 0x0800, true);
        view.setUint16(at + 4, 0, true);
        view.setUint16(at + 6, time, true);
        view.setUint16(at + 8, date, true);
        view.setUint32(at + 10, crc, true);
        view.setUint32(at + 14, size, true);
        view.setUint32(at + 18, size, true);
        view.setUint16(at + 22, name.length, true);
      };
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true);
      shared(local, 4);
      local.setUint16(28, 0, true);
      const entry = new DataView(new ArrayBuffer(46));
      entry.setUint32(0, 0x02014b50, true);
      entry.setUint16(4, 20, true);  // version made by
      shared(entry, 6);
      entry.setUint32(42, offset, true);  // the rest (extra, comment, disk, attributes) stays zero
      parts.push(local, name, f.data);
      central.push(entry, name);
      offset += 30 + name.length + size;
      if (offset > 0xffffffff) throw new Error('a zip without zip64 holds at most 4 GiB');
    }
    const centralSize = central.reduce((n, p) => n + p.byteLength, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, files.length, true);
    end.setUint16(10, files.length, true);
    end.setUint32(12, centralSize, true);
    end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, end], { type: 'application/zip' });
  }

  // files: [{name, bytes: Uint8Array}].
  function store(files, when = new Date()) {
    return assemble(files.map((f) => ({ name: f.name, crc: crc32(f.bytes), size: f.bytes.byteLength, data: f.bytes })), when);
  }

  // files: [{name, blob}]: each file is read once for its CRC, one at a time, and the archive is made of the Blobs
  // themselves, so a batch of full-size results is never in the page's memory all at once. Resolves with a Blob.
  async function storeBlobs(files, when = new Date()) {
    if (files.length > 0xffff) throw new Error('a zip without zip64 holds at most 65535 files');
    const entries = [];
    for (const f of files) {
      const crc = crc32(new Uint8Array(await f.blob.arrayBuffer()));
      entries.push({ name: f.name, crc, size: f.blob.size, data: f.blob });
    }
    return assemble(entries, when);
  }

  window.daeZip = { store, storeBlobs, crc32 };
})();
