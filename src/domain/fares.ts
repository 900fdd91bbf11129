import { AppError } from '../errors.js';
import { MAX_AMOUNT } from './money.js';

/** The Order Service's vehicle types. */
export const VEHICLE_TYPES = ['BIKE', 'CAR', 'TRUCK', 'WALK'] as const;
export type VehicleType = (typeof VEHICLE_TYPES)[number];

/** One vehicle's prices, in integer minor units of the table's currency per km. */
export interface VehicleRate {
  ratePerKm: number;
  riderCommissionPerKm: number;
}

/** The prices of one currency, in its minor units (cents for USD, yen for JPY). */
export interface CurrencyFares {
  vehicles: Partial<Record<VehicleType, VehicleRate>>;
  /** Added to every trip's cost, in minor units. */
  baseFare: number;
  /** The least cost of a trip, in minor units (before tax). */
  minimumFare: number;
}

/** The fare table (FARE_TABLE): a tax rate and the prices per currency. */
export interface FareTable {
  /** A decimal fraction as written (`"0.15"`), kept as digits so the tax is exact. */
  taxRate: string;
  currencies: Record<string, CurrencyFares>;
}

/**
 * The platform's rule today (CONTRACTS): per km BIKE 8, CAR 14, TRUCK 20 USD, rider commission
 * BIKE 2, CAR 5, TRUCK 10 USD, 15 % tax, no base fare or minimum; WALK has no rate.
 */
export const DEFAULT_FARE_TABLE: FareTable = {
  taxRate: '0.15',
  currencies: {
    usd: {
      vehicles: {
        BIKE: { ratePerKm: 800, riderCommissionPerKm: 200 },
        CAR: { ratePerKm: 1400, riderCommissionPerKm: 500 },
        TRUCK: { ratePerKm: 2000, riderCommissionPerKm: 1000 },
      },
      baseFare: 0,
      minimumFare: 0,
    },
  },
};

/** A trip's price, every line in integer minor units; `total = cost + tax`, the commission is part of the cost. */
export interface FareBreakdown {
  cost: number;
  tax: number;
  total: number;
  riderCommission: number;
}

/** Longest trip priced, in km: beyond it a distance is a mistake, not a trip. */
export const MAX_DISTANCE_KM = 20_000;

/** A non-negative decimal as an exact fraction `units / 10^scale`. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/**
 * The exact decimal a number is written as (`12.345` is 12345/10^3), from its shortest JavaScript
 * spelling, so 0.1 is one tenth and never 0.1000000000000000055; null for a negative or non-finite number.
 */
export function decimalOf(value: number | string): Decimal | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const match = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) return null;
  const digits = `${match[1]}${match[2] ?? ''}`;
  let scale = (match[2] ?? '').length - Number(match[3] ?? 0);
  let units = BigInt(digits);
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units, scale };
}

/** `numerator / denominator` rounded half-up (both non-negative): the one rounding of every line. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** The canonical decimal text of a distance (`"3.2"`), as stored on the quote. */
export function decimalText(d: Decimal): string {
  if (d.scale === 0) return d.units.toString();
  const digits = d.units.toString().padStart(d.scale + 1, '0');
  return `${digits.slice(0, -d.scale)}.${digits.slice(-d.scale)}`.replace(/\.?0+$/, '') || '0';
}

/**
 * The price of a trip: `cost = max(baseFare + km × rate, minimum)`, `tax = cost × taxRate`,
 * `riderCommission = km × commission`, each rounded half-up once to the minor unit from the exact
 * product, then `total = cost + tax`. Integer arithmetic only: no float is ever multiplied.
 */
export function priceTrip(distance: Decimal, fares: CurrencyFares, vehicle: VehicleRate, taxRate: Decimal): FareBreakdown {
  const scale = 10n ** BigInt(distance.scale);
  const exactCost = BigInt(fares.baseFare) * scale + distance.units * BigInt(vehicle.ratePerKm);
  const cost = bigMax(roundHalfUp(exactCost, scale), BigInt(fares.minimumFare));
  const tax = roundHalfUp(cost * taxRate.units, 10n ** BigInt(taxRate.scale));
  const riderCommission = roundHalfUp(distance.units * BigInt(vehicle.riderCommissionPerKm), scale);
  return { cost: Number(cost), tax: Number(tax), total: Number(cost + tax), riderCommission: Number(riderCommission) };
}

const bigMax = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * A trip's fare from the table: refuses (400) a currency or vehicle without a rate, naming those
 * that have one, and a total beyond what can be charged.
 */
export function quoteFare(table: FareTable, distanceKm: number | string, vehicleType: string, currency: string): FareBreakdown & { distance: Decimal } {
  const distance = decimalOf(distanceKm);
  if (distance === null || Number(decimalText(distance)) > MAX_DISTANCE_KM) {
    throw new AppError('validation_failed', `distanceKm must be a number of km from 0 to ${MAX_DISTANCE_KM} (got ${JSON.stringify(distanceKm)})`, {
      param: 'distanceKm',
    });
  }
  const fares = table.currencies[currency];
  if (!fares) {
    throw new AppError(
      'validation_failed',
      `No delivery fares in ${currency.toUpperCase()}: quotes are made in ${Object.keys(table.currencies).map((c) => c.toUpperCase()).join(', ')}`,
      { param: 'currency' },
    );
  }
  const vehicle = fares.vehicles[vehicleType as VehicleType];
  if (!vehicle) {
    const priced = Object.keys(fares.vehicles);
    throw new AppError(
      'validation_failed',
      `vehicleType ${vehicleType} has no delivery rate in ${currency.toUpperCase()}; the vehicles with one are ${priced.join(', ')}`,
      { param: 'vehicleType', vehicle_types: priced },
    );
  }
  const breakdown = priceTrip(distance, fares, vehicle, decimalOf(table.taxRate)!);
  if (breakdown.total > MAX_AMOUNT) {
    throw new AppError('validation_failed', `A trip of ${decimalText(distance)} km costs more than can be charged at once (${MAX_AMOUNT} minor units)`, {
      param: 'distanceKm',
    });
  }
  return { ...breakdown, distance };
}

/**
 * Reads FARE_TABLE (JSON) into a table, or says in one sentence what is wrong with it. Amounts
 * must be non-negative integers of minor units; the tax rate a decimal from 0 to 1.
 */
export function parseFareTable(json: string): FareTable {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('FARE_TABLE is not JSON');
  }
  const fail = (what: string): never => {
    throw new Error(`FARE_TABLE: ${what}`);
  };
  if (!isObject(raw)) return fail('must be an object {taxRate, currencies: {usd: {vehicles: {BIKE: {ratePerKm, riderCommissionPerKm}}, baseFare?, minimumFare?}}}');
  const taxText = typeof raw.taxRate === 'number' || typeof raw.taxRate === 'string' ? String(raw.taxRate) : '';
  const tax = decimalOf(taxText);
  if (tax === null || tax.units > 10n ** BigInt(tax.scale)) fail(`taxRate must be a decimal from 0 to 1, such as 0.15 (got ${JSON.stringify(raw.taxRate)})`);
  if (!isObject(raw.currencies) || Object.keys(raw.currencies).length === 0) fail('currencies must be an object with at least one currency, such as {"usd": {...}}');
  const currencies: Record<string, CurrencyFares> = {};
  for (const [code, value] of Object.entries(raw.currencies as Record<string, unknown>)) {
    if (!/^[a-z]{3}$/.test(code)) fail(`currency ${JSON.stringify(code)} must be a lower-case ISO 4217 code such as usd`);
    if (!isObject(value) || !isObject(value.vehicles)) fail(`currencies.${code}.vehicles must be an object such as {"BIKE": {"ratePerKm": 800, "riderCommissionPerKm": 200}}`);
    const entry = value as Record<string, unknown> & { vehicles: Record<string, unknown> };
    const vehicles: Partial<Record<VehicleType, VehicleRate>> = {};
    for (const [vehicle, rate] of Object.entries(entry.vehicles)) {
      if (!(VEHICLE_TYPES as readonly string[]).includes(vehicle)) fail(`currencies.${code}.vehicles.${vehicle} is not a vehicle type (${VEHICLE_TYPES.join(', ')})`);
      if (!isObject(rate)) fail(`currencies.${code}.vehicles.${vehicle} must be {ratePerKm, riderCommissionPerKm}`);
      const r = rate as Record<string, unknown>;
      vehicles[vehicle as VehicleType] = {
        ratePerKm: minorUnits(r.ratePerKm, `currencies.${code}.vehicles.${vehicle}.ratePerKm`, fail),
        riderCommissionPerKm: minorUnits(r.riderCommissionPerKm ?? 0, `currencies.${code}.vehicles.${vehicle}.riderCommissionPerKm`, fail),
      };
    }
    if (Object.keys(vehicles).length === 0) fail(`currencies.${code}.vehicles has no vehicle`);
    currencies[code] = {
      vehicles,
      baseFare: minorUnits(entry.baseFare ?? 0, `currencies.${code}.baseFare`, fail),
      minimumFare: minorUnits(entry.minimumFare ?? 0, `currencies.${code}.minimumFare`, fail),
    };
  }
  return { taxRate: decimalText(tax!), currencies };
}

function minorUnits(value: unknown, name: string, fail: (what: string) => never): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_AMOUNT) {
    return fail(`${name} must be a non-negative integer of minor units per km (800 is 8.00 USD; got ${JSON.stringify(value)})`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
