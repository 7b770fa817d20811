/** Safe extraction of uploaded app zips, and the CLI's zipping of an app directory. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { unzipSync, zipSync } from 'fflate';
import { zipDirectory } from '../../src/cli/zip';
import { ControlError } from '../../src/control/http';
import { extractZip } from '../../src/control/unzip';
import { tmpDir } from './helpers';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function rejects(data: Uint8Array, re: RegExp, max?: number): void {
  const dest = path.join(tmpDir(), 'out');
  assert.throws(
    () => extractZip(data, dest, max),
    (e: unknown) => e instanceof ControlError && e.status === 400 && re.test(e.message),
  );
}

describe('zip extraction', () => {
  it('extracts files and folders, keeping the executable bit', () => {
    const dest = path.join(tmpDir(), 'out');
    const data = zipSync({
      'serverless.yml': enc('service: x\n'),
      'src/handler.js': enc('exports.h = 1;'),
      bootstrap: [enc('#!/bin/sh\n'), { os: 3, attrs: 0o100755 * 0x10000 }],
      'empty/': new Uint8Array(0),
    });
    const r = extractZip(data, dest);
    assert.equal(r.files, 3);
    assert.equal(fs.readFileSync(path.join(dest, 'src', 'handler.js'), 'utf8'), 'exports.h = 1;');
    assert.ok(fs.statSync(path.join(dest, 'bootstrap')).mode & 0o100);
    assert.equal(fs.statSync(path.join(dest, 'serverless.yml')).mode & 0o111, 0);
    assert.ok(fs.statSync(path.join(dest, 'empty')).isDirectory());
  });

  it('refuses traversal, absolute paths, symlinks and oversized contents', () => {
    rejects(zipSync({ 'a/../../x': enc('x') }), /"\.\."/);
    rejects(zipSync({ '..\\x': enc('x') }), /"\.\."/);
    rejects(zipSync({ '/etc/x': enc('x') }), /absolute/);
    rejects(zipSync({ 'C:/x': enc('x') }), /absolute/);
    rejects(zipSync({ link: [enc('/etc'), { os: 3, attrs: 0o120777 * 0x10000 }] }), /symbolic link/);
    rejects(zipSync({ big: new Uint8Array(2000) }), /Unzipped size must be smaller than 1000 bytes/, 1000);
    rejects(enc('PK\u0003\u0004 garbage'), /invalid zip/);
    rejects(new Uint8Array(0), /invalid zip/);
  });

  it('never inflates past the size an entry declares', () => {
    const data = zipSync({ f: enc('a'.repeat(5000)) });
    // Lie about the uncompressed size in the central directory (offset 24 of its header).
    const buf = Buffer.from(data);
    const cd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    buf.writeUInt32LE(10, cd + 24);
    const dest = path.join(tmpDir(), 'out');
    try {
      extractZip(buf, dest, 100);
      assert.ok(fs.statSync(path.join(dest, 'f')).size <= 10);
    } catch (e) {
      assert.ok(e instanceof ControlError && e.status === 400);
    }
  });
});

describe('zipDirectory', () => {
  it('zips everything but .nimbus/ and .git/, dereferencing symlinks', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'serverless.yml'), 'service: x\n');
    fs.mkdirSync(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;');
    fs.mkdirSync(path.join(dir, '.nimbus', 'data'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.nimbus', 'data', 'nimbus.db'), 'db');
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref');
    fs.symlinkSync(path.join(dir, 'serverless.yml'), path.join(dir, 'alias.yml'));
    fs.symlinkSync(path.join(dir, 'missing'), path.join(dir, 'dangling'));
    const { data } = zipDirectory(dir);
    const names = Object.keys(unzipSync(data)).sort();
    assert.deepEqual(names, ['alias.yml', 'node_modules/dep/index.js', 'serverless.yml']);
    const out = path.join(tmpDir(), 'out');
    extractZip(data, out);
    assert.equal(fs.readFileSync(path.join(out, 'alias.yml'), 'utf8'), 'service: x\n');
    assert.ok(!fs.lstatSync(path.join(out, 'alias.yml')).isSymbolicLink());
  });
});
