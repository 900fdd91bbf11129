import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { majorText, minorFromInput, money } from '../../console/src/format.js';

/** The console shows minor units in the currency's major unit, and reads what an operator types back into minor units. */
describe('console amounts', () => {
  it('shows each currency with its own number of decimals and its symbol', () => {
    const en = (minor: number, currency: string) => money(minor, currency).replace(/\u00a0/g, ' ');
    assert.match(en(2500, 'usd'), /^(US)?\$25\.00$/);
    assert.match(en(500, 'jpy'), /^(JP)?¥500$/);
    assert.match(en(1500, 'kwd'), /KWD.*1\.500|1\.500.*KWD/);
    assert.match(en(99, 'eur'), /€0\.99|0\.99.€/);
  });

  it('reads typed amounts as minor units, refusing more decimals than the currency has', () => {
    assert.equal(minorFromInput('12.5', 'usd'), 1250);
    assert.equal(minorFromInput('25', 'usd'), 2500);
    assert.equal(minorFromInput(' 0.01 ', 'usd'), 1);
    assert.equal(minorFromInput('500', 'jpy'), 500);
    assert.equal(minorFromInput('5.5', 'jpy'), null);
    assert.equal(minorFromInput('1.234', 'kwd'), 1234);
    assert.equal(minorFromInput('1.001', 'usd'), null);
    for (const bad of ['', '0', '-1', '1e3', 'abc', '1,5']) assert.equal(minorFromInput(bad, 'usd'), null, bad);
  });

  it('writes the starting value of an amount field in major units', () => {
    assert.equal(majorText(2500, 'usd'), '25.00');
    assert.equal(majorText(500, 'jpy'), '500');
    assert.equal(majorText(1500, 'kwd'), '1.500');
  });
});
