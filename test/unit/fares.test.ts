import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decimalOf, DEFAULT_FARE_TABLE, parseFareTable, quoteFare } from '../../src/domain/fares.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { AppError } from '../../src/errors.js';

/**
 * The platform's own rule (CONTRACTS), as it is written there: major units, cost = km × rate,
 * tax = 15 % of cost, total = cost + tax, rounded to cents (half-up, the float noise of the
 * multiplication cleaned first, as a careful major-unit implementation would).
 */
const PLATFORM = { BIKE: { rate: 8, commission: 2 }, CAR: { rate: 14, commission: 5 }, TRUCK: { rate: 20, commission: 10 } } as const;
const toCents = (major: number) => Math.round(Number((major * 100).toPrecision(12)));
function platformRule(km: number, vehicle: keyof typeof PLATFORM) {
  const cost = toCents(km * PLATFORM[vehicle].rate) / 100;
  const tax = toCents(cost * 0.15) / 100;
  const total = toCents(cost + tax) / 100;
  return { cost: toCents(cost), tax: toCents(tax), total: toCents(total), riderCommission: toCents(km * PLATFORM[vehicle].commission) };
}

const fare = (km: number | string, vehicle: string, currency = 'usd', table = DEFAULT_FARE_TABLE) => {
  const { distance: _distance, ...breakdown } = quoteFare(table, km, vehicle, currency);
  return breakdown;
};

describe('fares: the platform rule in integer minor units', () => {
  it('prices each vehicle as the platform does', () => {
    assert.deepEqual(fare(3.2, 'BIKE'), { cost: 2560, tax: 384, total: 2944, riderCommission: 640 });
    assert.deepEqual(fare(12.75, 'CAR'), { cost: 17850, tax: 2678, total: 20528, riderCommission: 6375 });
    assert.deepEqual(fare(0.005, 'TRUCK'), { cost: 10, tax: 2, total: 12, riderCommission: 5 });
    // The README's three worked examples, beside the platform's own rule.
    for (const [km, vehicle] of [[3.2, 'BIKE'], [0.05, 'CAR'], [12.345, 'TRUCK']] as const) assert.deepEqual(fare(km, vehicle), platformRule(km, vehicle));
    assert.deepEqual(fare(12.345, 'TRUCK'), { cost: 24690, tax: 3704, total: 28394, riderCommission: 12345 });
  });

  it('rounds half a cent up, once per line, from the exact product (0.005 km steps)', () => {
    // 0.05 km by car: cost 0.70, tax 0.105 exactly (a float makes it 0.10499999…), commission 0.25.
    assert.deepEqual(fare(0.05, 'CAR'), { cost: 70, tax: 11, total: 81, riderCommission: 25 });
    // 0.005 km by car: commission 0.025, half a cent: 3 cents.
    assert.deepEqual(fare(0.005, 'CAR'), { cost: 7, tax: 1, total: 8, riderCommission: 3 });
    // 0.0025 km by car: cost 0.035, half a cent up to 4.
    assert.equal(fare(0.0025, 'CAR').cost, 4);
    for (let thousandths = 0; thousandths <= 2000; thousandths += 5) {
      const km = thousandths / 1000;
      for (const vehicle of ['BIKE', 'CAR', 'TRUCK'] as const) assert.deepEqual(fare(km, vehicle), platformRule(km, vehicle), `${km} km by ${vehicle}`);
    }
  });

  it('reads a distance from its decimal digits, never from the float', () => {
    assert.deepEqual(decimalOf(0.1), { units: 1n, scale: 1 });
    assert.deepEqual(decimalOf(1e-7), { units: 1n, scale: 7 });
    assert.deepEqual(decimalOf(1e21), { units: 10n ** 21n, scale: 0 });
    assert.equal(decimalOf(-1), null);
    assert.equal(decimalOf(Number.NaN), null);
    assert.equal(fare(0, 'BIKE').total, 0);
  });

  it('prices a zero-decimal currency in its own unit', () => {
    const table = parseFareTable(JSON.stringify({
      taxRate: 0.1,
      currencies: { jpy: { vehicles: { BIKE: { ratePerKm: 150, riderCommissionPerKm: 40 } }, baseFare: 100, minimumFare: 300 } },
    }));
    // 3.3 km: 100 + 495 = 595 yen, tax 59.5 → 60, commission 132.
    assert.deepEqual(fare(3.3, 'BIKE', 'jpy', table), { cost: 595, tax: 60, total: 655, riderCommission: 132 });
    // The minimum holds a short trip: 100 + 15 = 115 → 300 yen.
    assert.deepEqual(fare(0.1, 'BIKE', 'jpy', table), { cost: 300, tax: 30, total: 330, riderCommission: 4 });
  });

  it('refuses a vehicle without a rate, naming those with one, and a currency without fares', () => {
    assert.throws(() => fare(1, 'WALK'), (error: AppError) => error.code === 'validation_failed' && /WALK .*BIKE, CAR, TRUCK/.test(error.message));
    assert.throws(() => fare(1, 'BIKE', 'eur'), (error: AppError) => /No delivery fares in EUR: quotes are made in USD/.test(error.message));
    assert.throws(() => fare(20_001, 'BIKE'), (error: AppError) => error.details?.param === 'distanceKm');
  });

  it('validates FARE_TABLE, saying what is wrong', () => {
    assert.throws(() => parseFareTable('{'), /not JSON/);
    assert.throws(() => parseFareTable('{"taxRate": 1.5, "currencies": {}}'), /taxRate must be a decimal from 0 to 1/);
    assert.throws(() => parseFareTable('{"taxRate": 0.15, "currencies": {"usd": {"vehicles": {"BIKE": {"ratePerKm": 8.5}}}}}'), /ratePerKm must be a non-negative integer/);
    assert.throws(() => parseFareTable('{"taxRate": 0.15, "currencies": {"usd": {"vehicles": {"SCOOTER": {"ratePerKm": 8}}}}}'), /SCOOTER is not a vehicle type/);
    const walk = parseFareTable('{"taxRate": "0.15", "currencies": {"usd": {"vehicles": {"WALK": {"ratePerKm": 300, "riderCommissionPerKm": 100}}}}}');
    assert.deepEqual(fare(2, 'WALK', 'usd', walk), { cost: 600, tax: 90, total: 690, riderCommission: 200 });
  });

  it('validates FARE_TABLE at boot, and defaults to the platform rule', () => {
    const env = { NODE_ENV: 'test', JWT_SECRET: 'a-test-secret-of-enough-length' } as const;
    assert.deepEqual(loadConfig(env).delivery.fareTable, DEFAULT_FARE_TABLE);
    assert.throws(() => loadConfig({ ...env, FARE_TABLE: '{"taxRate": 0.15}' }), (error: Error) => error instanceof ConfigError && /^Invalid configuration: FARE_TABLE: currencies/.test(error.message));
    const config = loadConfig({ ...env, QUOTE_TTL_SECONDS: '60', REQUIRE_QUOTE: 'true', DISTANCE_CACHE_SECONDS: '0' }).delivery;
    assert.deepEqual([config.quoteTtlMs, config.requireQuote, config.distanceCacheMs, config.locationServiceUrl], [60_000, true, 0, null]);
  });

  it('agrees with the platform rule to the cent for random distances and vehicles (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000_000 }), fc.integer({ min: 3, max: 4 }), fc.constantFrom('BIKE', 'CAR', 'TRUCK'), (units, decimals, vehicle) => {
        const km = units / 10 ** decimals;
        const ours = fare(km, vehicle);
        const theirs = platformRule(km, vehicle);
        assert.deepEqual(ours, theirs, `${km} km by ${vehicle}`);
        assert.equal(ours.total, ours.cost + ours.tax);
      }),
      { numRuns: 2000 },
    );
  });
});
