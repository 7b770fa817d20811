import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findVariables, VariableSyntaxError } from '../../src/app/serverless/variable-syntax';

describe('findVariables', () => {
  it('finds typed sources with addresses and params', () => {
    assert.deepEqual(findVariables('${self:custom.a}'), [
      { start: 0, end: 16, text: '${self:custom.a}', sources: [{ kind: 'typed', type: 'self', params: null, address: { kind: 'value', value: 'custom.a' } }] },
    ]);
    const [f] = findVariables("x-${file(./a.yml):b.c}-y");
    assert.equal(f.start, 2);
    assert.equal(f.text, '${file(./a.yml):b.c}');
    assert.deepEqual(f.sources, [{ kind: 'typed', type: 'file', params: [{ kind: 'value', value: './a.yml' }], address: { kind: 'value', value: 'b.c' } }]);
  });

  it('parses fallbacks: bare sources, strings, numbers, booleans, null, nested variables', () => {
    const [v] = findVariables(`\${opt:stage, self:provider.stage, 'single', "dou\\"ble", 10, -1.5, false, null, \${env:X}}`);
    assert.deepEqual(
      v.sources.map((s) => (s.kind === 'typed' ? `${s.type}:${s.address?.kind === 'value' ? String(s.address.value) : ''}` : s.kind === 'literal' ? s.value : `nested ${s.ref.text}`)),
      ['opt:stage', 'self:provider.stage', 'single', 'dou"ble', 10, -1.5, false, null, 'nested ${env:X}'],
    );
  });

  it('parses nested variables in addresses and params', () => {
    const [v] = findVariables('${self:custom.${sls:stage}.size}');
    const src = v.sources[0];
    assert.ok(src.kind === 'typed' && src.address?.kind === 'template');
    assert.equal(src.address.raw, 'custom.${sls:stage}.size');
    assert.deepEqual(src.address.variables.map((x) => [x.start, x.end, x.text]), [[7, 19, '${sls:stage}']]);
    const [w] = findVariables('${strToBool(${env:FLAG})}');
    assert.ok(w.sources[0].kind === 'typed' && w.sources[0].params?.[0].kind === 'template');
  });

  it('leaves foreign ${...} alone and honours backslash escapes', () => {
    assert.deepEqual(findVariables('${AWS::Region}-${Bucket}-${foo}'), []);
    assert.deepEqual(findVariables('\\${env:X}'), []);
    assert.deepEqual(findVariables('${AWS::Region}-${env:X}').map((v) => v.text), ['${env:X}']);
    assert.deepEqual(findVariables('plain $ text { }'), []);
  });

  it('rejects broken syntax', () => {
    for (const s of ['${env:X', "${env:X, 'open}", '${env:X, bare}', '${opt:a, B:x}', '${file(a}']) {
      assert.throws(() => findVariables(s), VariableSyntaxError, s);
    }
  });
});
