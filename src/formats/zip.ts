/**
 * Reads the members of a zip archive held in memory: PyTorch's `pytorch_model.bin` and `.pth`
 * files are zips of a pickle (`NAME/data.pkl`) and one raw member per storage (`NAME/data/0` …),
 * written uncompressed.
 *
 * The central directory is read here (zip and zip64 records, every size and offset checked
 * against the archive) because the storages must stay views into the archive: fflate's and
 * unzipit's readers copy every member out, which would double the memory of a 1.3 GB checkpoint.
 * Compressed members (only a repacked archive has them) are inflated with fflate, stopped as
 * soon as they grow past their declared size, so a zip bomb costs at most that size.
 * Pure: no DOM, no Node.
 */
import { Inflate } from 'fflate';

import { CheckpointError, MAX_DECLARED_BYTES } from './tensor';
import { decodeUtf8 } from './text';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the member's (compressed) data in the archive. */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileName: string,
  ) {
    this.entries = readCentralDirectory(bytes, (problem) => this.fail(problem));
  }

  private fail(problem: string): never {
    throw new CheckpointError(`${this.fileName}: ${problem}`);
  }

  /** A member's bytes: a view into the archive when stored, inflated (bounded) when deflated. */
  read(entry: ZipEntry): Uint8Array {
    const { dataOffset, compressedSize, size, name } = entry;
    const data = this.bytes.subarray(dataOffset, dataOffset + compressedSize);
    if (entry.method === 0) {
      if (size !== compressedSize) this.fail(`member ${name} is stored but declares two sizes`);
      return data;
    }
    if (entry.method !== 8)
      this.fail(`member ${name} uses compression method ${entry.method} (only stored and deflate are read)`);
    return inflateBounded(data, size, (problem) => this.fail(`member ${name} ${problem}`));
  }
}

/** Deflate expands at most 1032:1; a member declaring more than that is refused before inflating. */
const MAX_DEFLATE_RATIO = 1032;

function inflateBounded(data: Uint8Array, size: number, fail: (problem: string) => never): Uint8Array {
  if (size > data.byteLength * MAX_DEFLATE_RATIO + 64) {
    fail(`declares ${size} bytes from ${data.byteLength} compressed, more than deflate can give`);
  }
  // Chunks are kept as they come and joined at the end: memory follows what really inflates,
  // not what the archive declares.
  const chunks: Uint8Array[] = [];
  let written = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    written += chunk.byteLength;
    if (written > size) fail(`inflates to more than its declared ${size} bytes (a zip bomb?)`);
    chunks.push(chunk);
    if (final) finished = true;
  });
  // Small input steps: no step makes more than a few MB before the size check above runs.
  const step = 4096;
  try {
    for (let at = 0; at < data.byteLength; at += step) {
      inflater.push(data.subarray(at, at + step), at + step >= data.byteLength);
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    fail(`is not valid deflate data (${(error as Error).message})`);
  }
  if (!finished || written !== size) fail(`inflates to ${written} bytes, not its declared ${size}`);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function readCentralDirectory(bytes: Uint8Array, fail: (problem: string) => never): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = bytes.byteLength;
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => u32(at) + u32(at + 4) * 2 ** 32;
  const inside = (at: number, size: number, what: string) => {
    if (at < 0 || size < 0 || at + size > length) {
      fail(`${what} lies outside the ${length}-byte archive (the file is cut off, or not a zip)`);
    }
  };

  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535.
  let eocd = -1;
  for (let at = length - 22; at >= Math.max(0, length - 22 - 65535); at--) {
    if (u32(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) {
    fail(
      length >= 2 && bytes[0] === 0x80 && bytes[1] === 0x02
        ? 'is a legacy (pre-1.6) PyTorch file; re-save it with torch.save in PyTorch 1.6 or later'
        : 'is not a zip archive or is cut off (no end-of-central-directory record)',
    );
  }
  let count = u16(eocd + 10);
  let directorySize = u32(eocd + 12);
  let directoryOffset = u32(eocd + 16);
  if (eocd >= 20 && u32(eocd - 20) === ZIP64_LOCATOR) {
    const record = u64(eocd - 20 + 8);
    inside(record, 56, 'the zip64 end record');
    if (u32(record) !== ZIP64_EOCD) fail('has a broken zip64 end record');
    count = u64(record + 32);
    directorySize = u64(record + 40);
    directoryOffset = u64(record + 48);
  }
  inside(directoryOffset, directorySize, 'the central directory');
  // Each central record takes at least 46 bytes: a larger count is a lie, refused before looping.
  if (count * 46 > directorySize) fail(`declares ${count} members in a ${directorySize}-byte directory`);

  const entries = new Map<string, ZipEntry>();
  let at = directoryOffset;
  for (let index = 0; index < count; index++) {
    inside(at, 46, `central record ${index}`);
    if (u32(at) !== CENTRAL) fail(`central record ${index} has a bad signature`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    let localOffset = u32(at + 42);
    inside(at + 46, nameLength + extraLength + commentLength, `central record ${index}`);
    let name = '';
    try {
      name = decodeUtf8(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      fail(`central record ${index} has a name that is not UTF-8`);
    }
    if (flags & 1) fail(`member ${name} is encrypted`);
    // zip64: the sizes and offset that do not fit 32 bits follow, in this order, in extra field 1.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(extra);
      const fieldSize = u16(extra + 2);
      let field = extra + 4;
      if (field + fieldSize > extraEnd) fail(`member ${name} has a broken extra field`);
      if (id === 1) {
        const next = () => {
          if (field + 8 > extra + 4 + fieldSize) fail(`member ${name} has a short zip64 field`);
          const value = u64(field);
          field += 8;
          return value;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localOffset === 0xffffffff) localOffset = next();
      }
      extra += 4 + fieldSize;
    }
    for (const [what, value] of [
      ['size', size],
      ['compressed size', compressedSize],
    ] as const) {
      if (value > MAX_DECLARED_BYTES)
        fail(`member ${name} declares a ${what} of ${value} bytes, over the 4 GiB limit`);
    }
    inside(localOffset, 30, `the local header of member ${name}`);
    if (u32(localOffset) !== LOCAL) fail(`member ${name} has a bad local header`);
    const dataOffset = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    inside(dataOffset, compressedSize, `the data of member ${name} (${compressedSize} bytes)`);
    entries.set(name, { name, method, compressedSize, size, dataOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
