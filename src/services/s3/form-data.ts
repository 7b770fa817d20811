/**
 * A streaming multipart/form-data reader (RFC 7578 over RFC 2046's
 * multipart syntax) for S3 POST uploads: parts come one at a time, small
 * fields as text, the file as a stream of its bytes, never the whole body in
 * memory. Only what browsers and HTTP clients send is supported: CRLF line
 * ends, `Content-Disposition: form-data; name=...; filename=...`, an optional
 * `Content-Type` per part. No dependency: the job is small, and S3's error
 * for a body that does not parse is its own.
 */

export class MalformedFormError extends Error {}

export interface FormPartHead {
  /** The field name as sent (S3 compares names case-insensitively). */
  name: string;
  /** Present for file parts (possibly empty). */
  filename?: string;
  contentType?: string;
}

/** Longest part head accepted (the Content-Disposition and Content-Type lines). */
const MAX_HEAD = 16 * 1024;

/** The boundary of a `multipart/form-data; boundary=...` Content-Type, or null when it is not one. */
export function formBoundary(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const [type, ...params] = contentType.split(';');
  if (type!.trim().toLowerCase() !== 'multipart/form-data') return null;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    // RFC 2046: 1 to 70 characters.
    return v.length > 0 && v.length <= 70 ? v : null;
  }
  return null;
}

function dispositionParam(value: string, name: string): string | undefined {
  // `name=` must not match inside `filename=`: a parameter starts after `;`.
  const re = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const m = re.exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!.trim();
}

export class MultipartReader {
  private buf: Buffer;
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly delimiter: Buffer;
  private state: 'preamble' | 'head' | 'body' | 'end' = 'preamble';
  private eof = false;

  constructor(source: AsyncIterable<Uint8Array>, boundary: string) {
    this.iterator = source[Symbol.asyncIterator]();
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // The first delimiter has no CRLF before it: pretend it had one.
    this.buf = Buffer.from('\r\n', 'latin1');
  }

  /** Reads more of the body into the buffer; false at its end. */
  private async pull(): Promise<boolean> {
    if (this.eof) return false;
    const r = await this.iterator.next();
    if (r.done) {
      this.eof = true;
      return false;
    }
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  /** The head of the next part, or null after the closing delimiter. An unread body of the current part is skipped. */
  async next(): Promise<FormPartHead | null> {
    if (this.state === 'body') for await (const _ of this.body()) void _;
    if (this.state === 'end') return null;
    if (this.state === 'preamble') {
      for (;;) {
        const at = this.buf.indexOf(this.delimiter);
        if (at >= 0) {
          this.buf = this.buf.subarray(at + this.delimiter.length);
          break;
        }
        this.buf = this.buf.subarray(Math.max(0, this.buf.length - this.delimiter.length + 1));
        if (!(await this.pull())) throw new MalformedFormError('no boundary');
      }
      this.state = 'head';
    }
    // After a delimiter: `--` closes the body; else transport padding, CRLF, then the part's head.
    while (this.buf.length < 2) if (!(await this.pull())) throw new MalformedFormError('truncated');
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
      this.state = 'end';
      return null;
    }
    let end: number;
    for (;;) {
      end = this.buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (end >= 0) break;
      if (this.buf.length > MAX_HEAD) throw new MalformedFormError('part head too long');
      if (!(await this.pull())) throw new MalformedFormError('truncated');
    }
    const lines = this.buf.subarray(0, end).toString('utf8').split('\r\n');
    this.buf = this.buf.subarray(end + 4);
    if (lines[0]!.trim() !== '') throw new MalformedFormError('no CRLF after the boundary');
    let disposition: string | undefined;
    let contentType: string | undefined;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon < 0) throw new MalformedFormError('bad part header');
      const k = line.slice(0, colon).trim().toLowerCase();
      const v = line.slice(colon + 1).trim();
      if (k === 'content-disposition') disposition = v;
      else if (k === 'content-type') contentType = v;
    }
    if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) throw new MalformedFormError('no form-data Content-Disposition');
    const name = dispositionParam(disposition, 'name');
    if (name === undefined) throw new MalformedFormError('a part without a name');
    const filename = dispositionParam(disposition, 'filename');
    this.state = 'body';
    const head: FormPartHead = { name };
    if (filename !== undefined) head.filename = filename;
    if (contentType !== undefined) head.contentType = contentType;
    return head;
  }

  /** The current part's bytes, as they arrive (slices never reused: a consumer may keep them). */
  async *body(): AsyncGenerator<Buffer> {
    if (this.state !== 'body') return;
    const keep = this.delimiter.length - 1;
    for (;;) {
      const at = this.buf.indexOf(this.delimiter);
      if (at >= 0) {
        const piece = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = 'head';
        if (piece.length > 0) yield piece;
        return;
      }
      if (this.buf.length > keep) {
        const piece = this.buf.subarray(0, this.buf.length - keep);
        this.buf = this.buf.subarray(this.buf.length - keep);
        yield piece;
      }
      if (!(await this.pull())) throw new MalformedFormError('truncated');
    }
  }

  /** The current part as text, refused past `max` bytes (returns null then). */
  async text(max: number): Promise<string | null> {
    const pieces: Buffer[] = [];
    let n = 0;
    for await (const p of this.body()) {
      n += p.length;
      if (n > max) return null;
      pieces.push(p);
    }
    return Buffer.concat(pieces, n).toString('utf8');
  }

  /** Reads what is left of the body (after the file, S3 ignores the rest), up to `max` bytes; false if more remained. */
  async drain(max: number): Promise<boolean> {
    let n = this.buf.length;
    this.buf = Buffer.alloc(0);
    while (n <= max && (await this.pull())) {
      n += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    return n <= max;
  }
}
