import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';
import { describeError } from '../../errors.ts';
import { PackFormatError } from './errors.ts';

/** Larger than any pack this renderer writes by far; a bigger file is the wrong file. */
export const MAX_PACK_FILE_BYTES = 1 << 30;
/** No attachment of a pack inflates past this: a larger one is a compression bomb. */
const MAX_ATTACHMENT_BYTES = 256 << 20;

/**
 * The bytes of a file given as a pack: a regular file (not a folder, a device or a pipe) of a
 * sane size, read through one handle; anything else a PackFormatError naming it.
 */
export async function readPackFile(path: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error: unknown) {
    throw new PackFormatError(`cannot read ${path}: ${describeError(error)}`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PackFormatError(`${path} is not a regular file`);
    if (info.size > MAX_PACK_FILE_BYTES)
      throw new PackFormatError(`${path} is ${info.size} bytes: larger than any evidence pack`);
    return new Uint8Array(await handle.readFile());
  } catch (error: unknown) {
    if (error instanceof PackFormatError) throw error;
    throw new PackFormatError(`cannot read ${path}: ${describeError(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/**
 * Reads the embedded files of an evidence pack, in plain JavaScript, so that `cm01 verify` can
 * take `manifest.json` out of a pack on an auditor's machine without qpdf. It follows the path a
 * PDF viewer takes — trailer → catalog → Names → EmbeddedFiles name tree → file specification →
 * EF/F stream — and checks each file against the size and MD5 checksum the PDF records for it.
 * It reads what this renderer writes (classic cross-reference tables, Flate or no filter) and
 * refuses anything else with a PackFormatError that says what is wrong.
 */
export function readPackAttachments(pdf: Uint8Array): Map<string, Uint8Array> {
  try {
    return readAttachments(pdf);
  } catch (error: unknown) {
    if (error instanceof PackFormatError) throw error;
    // Whatever a hostile file provokes in the parser (a stack overflow on deep nesting, a bad
    // offset) is still a damaged PDF, not a crash.
    throw new PackFormatError(`damaged PDF: ${describeError(error)}`, { cause: error });
  }
}

function readAttachments(pdf: Uint8Array): Map<string, Uint8Array> {
  const reader = new PdfReader(pdf);
  const catalog = reader.resolveDict(reader.trailer.get('Root'), 'the document catalog (/Root)');
  const names = catalog.get('Names');
  if (names === undefined) throw new PackFormatError('not an evidence pack: the PDF has no embedded files');
  const embedded = reader.resolveDict(names, 'the /Names dictionary').get('EmbeddedFiles');
  if (embedded === undefined)
    throw new PackFormatError('not an evidence pack: the PDF has no embedded files');

  const files = new Map<string, Uint8Array>();
  reader.walkNameTree(embedded, (name, value) => {
    files.set(name, reader.readEmbeddedFile(name, value));
  });
  if (!files.has('manifest.json')) {
    throw new PackFormatError(
      `not an evidence pack: no manifest.json among the embedded files (${[...files.keys()].join(', ') || 'none'})`,
    );
  }
  return files;
}

// ---------------------------------------------------------------------------------------------

class PdfRef {
  constructor(readonly ref: number) {}
}
type PdfValue = number | boolean | null | string | PdfName | Uint8Array | PdfValue[] | PdfDict | PdfRef;
class PdfName {
  constructor(readonly name: string) {}
}
type PdfDict = Map<string, PdfValue>;

const WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const DELIMITERS = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25]);
const MAX_NAME_TREE_DEPTH = 16;

class PdfReader {
  readonly trailer: PdfDict;
  private readonly bytes: Uint8Array;
  private readonly text: string;
  private readonly offsets = new Map<number, number>();

  constructor(pdf: Uint8Array) {
    this.bytes = pdf;
    // latin1 keeps one character per byte, so string positions are byte offsets.
    this.text = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1');
    if (!this.text.startsWith('%PDF-')) throw new PackFormatError('not a PDF file (no %PDF- header)');
    const tail = this.text.slice(-2048);
    const match = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
    if (!match) throw new PackFormatError('damaged PDF: no startxref at the end of the file (truncated?)');
    this.trailer = this.readXrefChain(Number(match[1]));
  }

  resolve(value: PdfValue | undefined): PdfValue | undefined {
    let current = value;
    for (let hops = 0; current instanceof PdfRef; hops++) {
      if (hops > 8) throw new PackFormatError('damaged PDF: a reference loops');
      current = this.readObject(current.ref).value;
    }
    return current;
  }

  resolveDict(value: PdfValue | undefined, what: string): PdfDict {
    const resolved = this.resolve(value);
    if (!(resolved instanceof Map))
      throw new PackFormatError(`damaged PDF: ${what} is missing or not a dictionary`);
    return resolved;
  }

  walkNameTree(node: PdfValue, visit: (name: string, value: PdfValue) => void, depth = 0): void {
    if (depth > MAX_NAME_TREE_DEPTH)
      throw new PackFormatError('damaged PDF: the embedded-files name tree is too deep');
    const dict = this.resolveDict(node, 'a node of the embedded-files name tree');
    const names = this.resolve(dict.get('Names'));
    if (Array.isArray(names)) {
      for (let i = 0; i + 1 < names.length; i += 2) {
        const key = names[i];
        if (!(key instanceof Uint8Array))
          throw new PackFormatError('damaged PDF: an embedded-file name is not a string');
        visit(decodeTextString(key), names[i + 1]!);
      }
    }
    const kids = this.resolve(dict.get('Kids'));
    if (Array.isArray(kids)) for (const kid of kids) this.walkNameTree(kid, visit, depth + 1);
  }

  readEmbeddedFile(name: string, filespec: PdfValue): Uint8Array {
    const spec = this.resolveDict(filespec, `the file specification of ${name}`);
    const ef = this.resolveDict(spec.get('EF'), `the /EF entry of ${name}`);
    const streamRef = ef.get('F') ?? ef.get('UF');
    if (!(streamRef instanceof PdfRef))
      throw new PackFormatError(`damaged PDF: embedded file ${name} has no stream`);
    const object = this.readObject(streamRef.ref);
    if (!object.stream || !(object.value instanceof Map)) {
      throw new PackFormatError(`damaged PDF: embedded file ${name} is not a stream`);
    }
    const dict = object.value;
    const data = this.decodeStream(dict, object.stream, name);
    const params = this.resolve(dict.get('Params'));
    if (params instanceof Map) {
      const size = this.resolve(params.get('Size'));
      if (typeof size === 'number' && size !== data.byteLength) {
        throw new PackFormatError(
          `embedded file ${name} is corrupted: ${data.byteLength} bytes, the PDF records ${size}`,
        );
      }
      const checksum = this.resolve(params.get('CheckSum'));
      if (checksum instanceof Uint8Array) {
        const md5 = createHash('md5').update(data).digest();
        // pdfkit records the MD5 as 32 hex characters; the PDF standard says 16 raw bytes: accept both.
        const recorded =
          checksum.length === 16
            ? Buffer.from(checksum).toString('hex')
            : Buffer.from(checksum).toString('latin1');
        if (recorded.toLowerCase() !== md5.toString('hex')) {
          throw new PackFormatError(
            `embedded file ${name} is corrupted: its MD5 does not match the checksum in the PDF`,
          );
        }
      }
    }
    return data;
  }

  private decodeStream(dict: PdfDict, raw: Uint8Array, name: string): Uint8Array {
    const filter = this.resolve(dict.get('Filter'));
    const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
    let data = raw;
    for (const f of filters) {
      if (!(f instanceof PdfName) || f.name !== 'FlateDecode') {
        throw new PackFormatError(`embedded file ${name} uses a filter this reader does not support`);
      }
      try {
        data = new Uint8Array(inflateSync(data, { maxOutputLength: MAX_ATTACHMENT_BYTES }));
      } catch (error: unknown) {
        throw new PackFormatError(
          `embedded file ${name} is corrupted: its compressed data does not inflate`,
          {
            cause: error,
          },
        );
      }
    }
    return data;
  }

  private readXrefChain(start: number): PdfDict {
    let trailer: PdfDict | null = null;
    const seen = new Set<number>();
    let next: number | null = start;
    while (next !== null) {
      if (seen.has(next)) throw new PackFormatError('damaged PDF: the cross-reference sections loop');
      seen.add(next);
      const section = this.readXrefSection(next);
      trailer ??= section;
      const prev = section.get('Prev');
      next = typeof prev === 'number' ? prev : null;
    }
    return trailer!;
  }

  private readXrefSection(offset: number): PdfDict {
    if (this.text.slice(offset, offset + 4) !== 'xref') {
      throw new PackFormatError(
        'damaged PDF or not an evidence pack: startxref does not point at a cross-reference table',
      );
    }
    let pos = offset + 4;
    const line = /\s*(\d+)\s+(\d+)\s*?(?:\r\n|\r|\n)/y;
    const entry = /(\d{10}) (\d{5}) ([nf])[ \r\n]{1,2}/y;
    for (;;) {
      line.lastIndex = pos;
      const header = line.exec(this.text);
      if (!header) break;
      const first = Number(header[1]);
      const count = Number(header[2]);
      pos = line.lastIndex;
      for (let i = 0; i < count; i++) {
        entry.lastIndex = pos;
        const e = entry.exec(this.text);
        if (!e) throw new PackFormatError('damaged PDF: a cross-reference entry is malformed');
        pos = entry.lastIndex;
        const id = first + i;
        if (e[3] === 'n' && !this.offsets.has(id)) this.offsets.set(id, Number(e[1]));
      }
    }
    const trailerAt = this.text.indexOf('trailer', pos);
    if (trailerAt < 0 || trailerAt > pos + 64)
      throw new PackFormatError('damaged PDF: no trailer after the cross-reference table');
    const parsed = new Lexer(this.text, trailerAt + 7).value();
    if (!(parsed instanceof Map)) throw new PackFormatError('damaged PDF: the trailer is not a dictionary');
    return parsed;
  }

  private readObject(id: number): { value: PdfValue; stream: Uint8Array | null } {
    const offset = this.offsets.get(id);
    if (offset === undefined)
      throw new PackFormatError(`damaged PDF: object ${id} is not in the cross-reference table`);
    const header = /(\d+)\s+(\d+)\s+obj/y;
    header.lastIndex = offset;
    const match = header.exec(this.text);
    if (!match || Number(match[1]) !== id) {
      throw new PackFormatError(`damaged PDF: object ${id} is not where the cross-reference table says`);
    }
    const lexer = new Lexer(this.text, header.lastIndex);
    const value = lexer.value();
    if (!(value instanceof Map) || !lexer.startsStream()) return { value, stream: null };
    const length = this.resolve(value.get('Length'));
    if (typeof length !== 'number' || length < 0)
      throw new PackFormatError(`damaged PDF: stream ${id} has no valid /Length`);
    const start = lexer.streamDataStart();
    const end = start + length;
    if (end > this.bytes.length || !/^\s*endstream/.test(this.text.slice(end, end + 16))) {
      throw new PackFormatError(
        `damaged PDF: stream ${id} does not end where its /Length says (truncated or altered)`,
      );
    }
    return { value, stream: this.bytes.subarray(start, end) };
  }
}

/** A tokenizer for PDF object syntax, enough for dictionaries, arrays, strings, names and references. */
class Lexer {
  constructor(
    private readonly text: string,
    private pos: number,
  ) {}

  value(): PdfValue {
    this.skipSpace();
    const c = this.text.charCodeAt(this.pos);
    if (Number.isNaN(c)) throw new PackFormatError('damaged PDF: unexpected end of file inside an object');
    if (c === 0x3c && this.text.charCodeAt(this.pos + 1) === 0x3c) return this.dict();
    if (c === 0x3c) return this.hexString();
    if (c === 0x28) return this.literalString();
    if (c === 0x5b) return this.array();
    if (c === 0x2f) return new PdfName(this.nameToken());
    const token = this.token();
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token)) {
      const save = this.pos;
      if (/^\d+$/.test(token)) {
        const gen = /\s+(\d+)\s+R(?=[\s/<>[\]()%]|$)/y;
        gen.lastIndex = this.pos;
        const m = gen.exec(this.text);
        if (m) {
          this.pos = gen.lastIndex;
          return new PdfRef(Number(token));
        }
      }
      this.pos = save;
      return Number(token);
    }
    throw new PackFormatError(`damaged PDF: unexpected token "${token.slice(0, 20)}"`);
  }

  startsStream(): boolean {
    this.skipSpace();
    return this.text.startsWith('stream', this.pos);
  }

  /** Position of the first data byte: after `stream` and its CRLF or LF. */
  streamDataStart(): number {
    let p = this.pos + 6;
    if (this.text[p] === '\r') p++;
    if (this.text[p] === '\n') p++;
    return p;
  }

  private dict(): PdfDict {
    this.pos += 2;
    const dict: PdfDict = new Map();
    for (;;) {
      this.skipSpace();
      if (this.text.startsWith('>>', this.pos)) {
        this.pos += 2;
        return dict;
      }
      if (this.text[this.pos] !== '/')
        throw new PackFormatError('damaged PDF: a dictionary key is not a name');
      const key = this.nameToken();
      dict.set(key, this.value());
    }
  }

  private array(): PdfValue[] {
    this.pos++;
    const items: PdfValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return items;
      }
      items.push(this.value());
    }
  }

  private nameToken(): string {
    this.pos++;
    const start = this.pos;
    while (this.pos < this.text.length && !isSpaceOrDelimiter(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text
      .slice(start, this.pos)
      .replace(/#([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }

  private token(): string {
    const start = this.pos;
    while (this.pos < this.text.length && !isSpaceOrDelimiter(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private hexString(): Uint8Array {
    const end = this.text.indexOf('>', this.pos);
    if (end < 0) throw new PackFormatError('damaged PDF: unterminated hex string');
    let hex = this.text.slice(this.pos + 1, end).replace(/\s+/g, '');
    this.pos = end + 1;
    if (hex.length % 2 === 1) hex += '0';
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }

  private literalString(): Uint8Array {
    const out: number[] = [];
    let depth = 0;
    this.pos++;
    for (;;) {
      if (this.pos >= this.text.length) throw new PackFormatError('damaged PDF: unterminated string');
      const ch = this.text[this.pos++]!;
      if (ch === '\\') {
        const next = this.text[this.pos++] ?? '';
        const simple: Record<string, number> = {
          n: 10,
          r: 13,
          t: 9,
          b: 8,
          f: 12,
          '(': 40,
          ')': 41,
          '\\': 92,
        };
        if (next in simple) out.push(simple[next]!);
        else if (/[0-7]/.test(next)) {
          let octal = next;
          while (octal.length < 3 && /[0-7]/.test(this.text[this.pos] ?? '')) octal += this.text[this.pos++];
          out.push(parseInt(octal, 8) & 0xff);
        } else if (next === '\r') {
          if (this.text[this.pos] === '\n') this.pos++;
        } else if (next !== '\n') out.push(next.charCodeAt(0));
      } else if (ch === '(') {
        depth++;
        out.push(40);
      } else if (ch === ')') {
        if (depth === 0) return new Uint8Array(out);
        depth--;
        out.push(41);
      } else out.push(ch.charCodeAt(0));
    }
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (WHITESPACE.has(c)) this.pos++;
      else if (c === 0x25) {
        while (this.pos < this.text.length && this.text[this.pos] !== '\n' && this.text[this.pos] !== '\r')
          this.pos++;
      } else return;
    }
  }
}

function isSpaceOrDelimiter(c: number): boolean {
  return WHITESPACE.has(c) || DELIMITERS.has(c);
}

/** A PDF text string: UTF-16BE with a byte-order mark, otherwise (close enough for file names) Latin-1. */
function decodeTextString(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    let out = '';
    for (let i = 2; i + 1 < bytes.length; i += 2)
      out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return out;
  }
  return Buffer.from(bytes).toString('latin1');
}
