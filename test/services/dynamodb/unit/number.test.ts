/**
 * DynamoDB numbers: parsing, canonical form, range and precision errors,
 * comparison and exact 38-digit arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addNumbers, canonicalNumber, compareNumbers, subtractNumbers } from '../../../../src/services/dynamodb/model/number';
import { throwsMessage } from './helpers';

const OVERFLOW = 'Number overflow. Attempting to store a number with magnitude larger than supported range';
const UNDERFLOW = 'Number underflow. Attempting to store a number with magnitude smaller than supported range';
const DIGITS = 'Attempting to store more than 38 significant digits in a Number';

test('canonical form is what DynamoDB returns', () => {
  const cases: [string, string][] = [
    ['01.50', '1.5'],
    ['-0', '0'],
    ['0.000', '0'],
    ['+7', '7'],
    ['1E+2', '100'],
    ['1e-5', '0.00001'],
    ['-12.3400e1', '-123.4'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['1000', '1000'],
    ['0e-999', '0'],
    ['123456789012345678901234567890123456780000', '123456789012345678901234567890123456780000'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalNumber(input), want, input);
  assert.equal(canonicalNumber('1e125'), '1' + '0'.repeat(125));
  assert.equal(canonicalNumber('-1e-130'), '-0.' + '0'.repeat(129) + '1');
  assert.equal(canonicalNumber('9.9999999999999999999999999999999999999E+125'), '9'.repeat(38) + '0'.repeat(88));
});

test('invalid numbers get the parameter-conversion message', () => {
  throwsMessage(() => canonicalNumber(''), 'The parameter cannot be converted to a numeric value');
  for (const bad of ['b', '1.2.3', '--1', '1e', 'e5', '.', 'NaN', 'Infinity', ' 1', '0x10', '1,5']) {
    throwsMessage(() => canonicalNumber(bad), `The parameter cannot be converted to a numeric value: ${bad}`);
  }
});

test('range and precision limits, checked overflow first, then underflow, then digits', () => {
  throwsMessage(() => canonicalNumber('1e126'), OVERFLOW);
  throwsMessage(() => canonicalNumber('-1e126'), OVERFLOW);
  throwsMessage(() => canonicalNumber('1e-131'), UNDERFLOW);
  throwsMessage(() => canonicalNumber('-1e-131'), UNDERFLOW);
  throwsMessage(() => canonicalNumber('123456789012345678901234567890123456789'), DIGITS);
  throwsMessage(() => canonicalNumber('-1.23456789012345678901234567890123456789'), DIGITS);
  // 39 digits and out of range: the range is reported.
  throwsMessage(() => canonicalNumber('1.23456789012345678901234567890123456789e200'), OVERFLOW);
  throwsMessage(() => canonicalNumber('1e99999999999999999999'), OVERFLOW);
  // Trailing and leading zeros are not significant.
  assert.equal(canonicalNumber('000012345678901234567890123456789012345678000'), '12345678901234567890123456789012345678000');
});

test('compareNumbers orders numerically across notations', () => {
  const ordered = ['-1e125', '-100', '-1.23', '-1.2', '-1', '-0.001', '0', '1e-130', '0.001', '1', '1.2', '1.23', '100', '9.99e125'];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      const want = i < j ? -1 : i > j ? 1 : 0;
      assert.equal(Math.sign(compareNumbers(ordered[i], ordered[j])), want, `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  assert.equal(compareNumbers('1.50', '1.5'), 0);
  assert.equal(compareNumbers('1E2', '100.0'), 0);
  assert.equal(compareNumbers('-0', '0'), 0);
});

test('addition and subtraction are exact to 38 digits', () => {
  assert.equal(addNumbers('0.1', '0.2'), '0.3');
  assert.equal(subtractNumbers('1', '1.5'), '-0.5');
  assert.equal(addNumbers('-5', '5'), '0');
  assert.equal(addNumbers('99999999999999999999999999999999999998', '1'), '99999999999999999999999999999999999999');
  assert.equal(addNumbers('12345678901234567890123456789012345678', '0'), '12345678901234567890123456789012345678');
  assert.equal(addNumbers('1e100', '1e100'), '2' + '0'.repeat(100));
  assert.equal(subtractNumbers('1.0000000000000000000000000000000000001', '1'), '0.0000000000000000000000000000000000001');
  // 39 significant digits needed.
  throwsMessage(() => addNumbers('99999999999999999999999999999999999999', '1.1'), DIGITS);
  throwsMessage(() => addNumbers('1e30', '1e-30'), DIGITS);
  throwsMessage(() => addNumbers('9.9999999999999999999999999999999999999e125', '1e125'), OVERFLOW);
  throwsMessage(() => subtractNumbers('-9e125', '9e125'), OVERFLOW);
  // Operands are validated like stored numbers.
  throwsMessage(() => addNumbers('x', '1'), 'The parameter cannot be converted to a numeric value: x');
});
