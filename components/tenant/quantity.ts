/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), parsed exactly.
 *
 *   <quantity>        ::= <signedNumber><suffix>
 *   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 *   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   <decimalSI>       ::= m | "" | k | M | G | T | P | E
 *   <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 *   <signedNumber>    ::= <sign><number> | <number>,  <number> ::= <digits>[.<digits>] | <digits>. | .<digits>
 *
 * Values are kept as BigInt nano-units (the API server's own precision, rounding up below it),
 * so comparisons and sums are exact: "0.5" and "500m" are equal, "64GB" is rejected like the
 * API server rejects it. On top of the grammar this module adds the product's stricter rules:
 *
 * - CPU takes only cores ("4", "1.5") or millicores ("500m"). The grammar accepts "2Ki" CPU
 *   (2,048 cores) and "1k"; both are typos in practice, so binary suffixes, other decimal
 *   suffixes and exponents are rejected for CPU. Finer than 1m is rejected (the scheduler counts
 *   millicores).
 * - Bytes (memory, storage) reject the "m" suffix: "512m" is 0.512 bytes to Kubernetes, a
 *   classic slip for "512Mi". Fractions of a byte are rejected.
 */

/** Suffix → (power of ten, power of two). */
const SUFFIXES: Record<string, { ten: number; two: number }> = {
  "": { ten: 0, two: 0 },
  m: { ten: -3, two: 0 },
  k: { ten: 3, two: 0 },
  M: { ten: 6, two: 0 },
  G: { ten: 9, two: 0 },
  T: { ten: 12, two: 0 },
  P: { ten: 15, two: 0 },
  E: { ten: 18, two: 0 },
  Ki: { ten: 0, two: 10 },
  Mi: { ten: 0, two: 20 },
  Gi: { ten: 0, two: 30 },
  Ti: { ten: 0, two: 40 },
  Pi: { ten: 0, two: 50 },
  Ei: { ten: 0, two: 60 },
};

/** The grammar above as one expression; the exponent alternative precedes the E (exa) suffix. */
export const QUANTITY_PATTERN = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[mkMGTPE])?$/;

/** A quantity's text is short; a longer one is a mistake (and bounds the BigInt math). */
const MAX_TEXT = 32;
/** Exponents beyond this are absurd for any resource and would make huge BigInts. */
const MAX_EXPONENT = 30;

const NANO = 9;

export interface Quantity {
  /** The text as written. */
  text: string;
  /** Value in nano-units, rounded up (as the API server does). */
  nanos: bigint;
  /** The suffix as written: "", "m", "Gi", "e3", ... */
  suffix: string;
  /** Whether a minus sign was written. */
  negative: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Parses the Kubernetes quantity grammar exactly; numbers (YAML `cpu: 4`) are read as their text. */
export function parseQuantity(input: string | number): Parsed<Quantity> {
  const text = typeof input === "number" ? String(input) : input;
  if (typeof input === "number" && !Number.isFinite(input)) return { ok: false, message: "must be a finite number" };
  if (text.length === 0) return { ok: false, message: "must not be empty" };
  if (text.length > MAX_TEXT)
    return {
      ok: false,
      message: `is ${text.length} characters long; a quantity is a number and a unit like 4, 500m or 64Gi`,
    };
  const m = QUANTITY_PATTERN.exec(text);
  if (!m) {
    const unit = /^[+-]?[\d.]+\s*([A-Za-z]+)$/.exec(text)?.[1];
    const hint = unit ? `: "${unit}" is not a Kubernetes unit (use Ki, Mi, Gi, Ti for bytes; m for millicores)` : "";
    return { ok: false, message: `"${text}" is not a Kubernetes quantity${hint}` };
  }
  const [, sign, number, suffix = ""] = m;
  let ten = 0;
  let two = 0;
  if (/^[eE][+-]?\d+$/.test(suffix)) {
    const e = Number(suffix.slice(1));
    if (Math.abs(e) > MAX_EXPONENT) return { ok: false, message: `exponent ${suffix} is out of any sensible range` };
    ten = e;
  } else {
    ({ ten, two } = SUFFIXES[suffix]);
  }
  const [whole, frac = ""] = number.split(".");
  const mantissa = BigInt((whole || "0") + frac);
  // value = mantissa × 10^(ten − |frac|) × 2^two, expressed in nano-units.
  const exp = ten - frac.length + NANO;
  let nanos = mantissa << BigInt(two);
  if (exp >= 0) nanos *= pow10(exp);
  else {
    const d = pow10(-exp);
    nanos = (nanos + d - 1n) / d; // round up below the nano, as the API server does
  }
  return { ok: true, value: { text, nanos, suffix, negative: sign === "-" } };
}

const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_UNIT = 1_000_000_000n;

/** A CPU quantity in millicores; see the module comment for what is rejected and why. */
export function parseCpu(input: string | number): Parsed<bigint> {
  const p = parseQuantity(input);
  if (!p.ok) return p;
  const q = p.value;
  if (q.negative) return { ok: false, message: `"${q.text}" is negative; CPU must be positive` };
  if (q.suffix !== "" && q.suffix !== "m")
    return {
      ok: false,
      message: `"${q.text}": CPU is written in cores ("4", "1.5") or millicores ("500m"), not with "${q.suffix}"`,
    };
  if (q.nanos % NANOS_PER_MILLI !== 0n)
    return { ok: false, message: `"${q.text}" is finer than 1m (one millicore), the smallest CPU unit` };
  return { ok: true, value: q.nanos / NANOS_PER_MILLI };
}

/** A memory or storage quantity in bytes; see the module comment for what is rejected and why. */
export function parseBytes(input: string | number): Parsed<bigint> {
  const p = parseQuantity(input);
  if (!p.ok) return p;
  const q = p.value;
  if (q.negative) return { ok: false, message: `"${q.text}" is negative; sizes must be positive` };
  if (q.suffix === "m")
    return {
      ok: false,
      message: `"${q.text}" means ${q.text.slice(0, -1)} thousandths of a byte; write Mi for mebibytes (e.g. "${q.text.slice(0, -1)}Mi")`,
    };
  if (q.nanos % NANOS_PER_UNIT !== 0n) return { ok: false, message: `"${q.text}" is not a whole number of bytes` };
  return { ok: true, value: q.nanos / NANOS_PER_UNIT };
}

const BINARY = ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"] as const;
const DECIMAL = ["E", "P", "T", "G", "M", "k"] as const;

/**
 * Canonical text for bytes: the shorter of the largest exact binary form and the largest exact
 * decimal form, binary on a tie ("64Gi", "1536Mi", "8G" for 8e9 rather than "7812500Ki"), so an
 * object read back from the API server differs from what we declared in spelling only rarely.
 */
export function formatBytes(bytes: bigint): string {
  if (bytes === 0n) return "0";
  const exact = (units: readonly string[], size: (s: string) => bigint) => {
    for (const s of units) if (bytes % size(s) === 0n) return `${bytes / size(s)}${s}`;
    return String(bytes);
  };
  const binary = exact(BINARY, (s) => 1n << BigInt(SUFFIXES[s].two));
  const decimal = exact(DECIMAL, (s) => pow10(SUFFIXES[s].ten));
  return decimal.length < binary.length ? decimal : binary;
}

/** Canonical CPU text: whole cores as "4", anything else in millicores ("1500m"). */
export function formatCpu(millis: bigint): string {
  return millis % 1000n === 0n ? String(millis / 1000n) : `${millis}m`;
}

/** Human-readable totals for error messages: cores with up to three decimals, bytes in GiB. */
export function describeCpu(millis: bigint | number): string {
  const cores = Number(millis) / 1000;
  return `${Number.isInteger(cores) ? cores : cores.toFixed(3).replace(/0+$/, "")} core${cores === 1 ? "" : "s"}`;
}

export function describeBytes(bytes: bigint | number): string {
  const gib = Number(bytes) / 2 ** 30;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(2)} GiB`;
}

export const BYTES = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
} as const;

export function minBig(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b < a ? b : a));
}

export function maxBig(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b > a ? b : a));
}
