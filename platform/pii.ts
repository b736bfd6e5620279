import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Personal data at rest: AES-256-GCM from Node's crypto (authenticated, so a tampered
 * ciphertext fails to open). Layout: version byte, 12-byte IV, 16-byte tag, ciphertext.
 *
 * Crypto-shredding: each customer's record is sealed under a data key of its own (version 2),
 * stored only wrapped by PII_ENCRYPTION_KEY in `customer_keys`. Erasure deletes that row, so
 * any copy of the record left anywhere (a replica, an export, a dump taken without the key
 * table) can no longer be opened. Version 1 records, sealed directly under the master key, are
 * from before per-customer keys: still readable, re-sealed under a data key at the customer's
 * next intake, and deleted outright on erasure.
 */
const MASTER_SEALED = 1;
const DATA_KEY_SEALED = 2;
/** In memory only, never stored: a wrapped data key followed by a version 2 record. */
const ENVELOPE = 3;
const HEADER = 29;

function key(base64Key: string): Buffer {
  const k = Buffer.from(base64Key, 'base64');
  if (k.length !== 32) throw new Error(`PII_ENCRYPTION_KEY must be 32 bytes in base64 (got ${k.length})`);
  return k;
}

function seal(version: number, plaintext: Buffer, k: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([version]), iv, cipher.getAuthTag(), body]);
}

function open(sealed: Buffer, k: Buffer): Buffer {
  if (sealed.length < HEADER) throw new Error('PII ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', k, sealed.subarray(1, 13));
  decipher.setAuthTag(sealed.subarray(13, HEADER));
  return Buffer.concat([decipher.update(sealed.subarray(HEADER)), decipher.final()]);
}

/** Encrypt a JSON-serialisable value under the master key (version 1). */
export function sealPii(value: unknown, base64Key: string): Buffer {
  return seal(MASTER_SEALED, Buffer.from(JSON.stringify(value), 'utf8'), key(base64Key));
}

/** A fresh customer data key, wrapped (sealed) by the master key: what `customer_keys` stores. */
export function newWrappedDataKey(base64Key: string): Buffer {
  return seal(MASTER_SEALED, randomBytes(32), key(base64Key));
}

function unwrapDataKey(wrapped: Buffer, base64Key: string): Buffer {
  if (wrapped[0] !== MASTER_SEALED) throw new Error('unknown wrapped data key version');
  const k = open(wrapped, key(base64Key));
  if (k.length !== 32) throw new Error('wrapped data key is not 32 bytes');
  return k;
}

/** Encrypt a JSON-serialisable value under a customer's data key (version 2). */
export function sealForCustomer(value: unknown, wrappedKey: Buffer, base64Key: string): Buffer {
  return seal(DATA_KEY_SEALED, Buffer.from(JSON.stringify(value), 'utf8'), unwrapDataKey(wrappedKey, base64Key));
}

/** What intake hands the database: a way to make a key, and to seal the record under one. */
export interface CustomerPiiSealer {
  newWrappedKey(): Buffer;
  seal(wrappedKey: Buffer): Buffer;
}

/** A sealer for one customer record (the database decides whether the key is new or the customer's own). */
export function customerPiiSealer(value: unknown, base64Key: string): CustomerPiiSealer {
  return {
    newWrappedKey: () => newWrappedDataKey(base64Key),
    seal: (wrapped) => sealForCustomer(value, wrapped, base64Key),
  };
}

/**
 * A stored record with the wrapped key it needs, in one buffer that `openPii` takes (so readers
 * need nothing but the master key). Version 1 records need no key and pass through.
 */
export function customerEnvelope(ciphertext: Buffer, wrappedKey: Buffer | null): Buffer {
  if (ciphertext[0] !== DATA_KEY_SEALED) return ciphertext;
  if (!wrappedKey) throw new Error('customer data key destroyed: the record cannot be opened');
  if (wrappedKey.length > 0xffff) throw new Error('wrapped data key too long');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(wrappedKey.length);
  return Buffer.concat([Buffer.from([ENVELOPE]), len, wrappedKey, ciphertext]);
}

/** Decrypt a record: version 1, or an envelope; throws when a key is wrong or bytes were altered. */
export function openPii<T>(sealed: Buffer, base64Key: string): T {
  let plain: Buffer;
  if (sealed[0] === MASTER_SEALED) plain = open(sealed, key(base64Key));
  else if (sealed[0] === ENVELOPE && sealed.length >= 3) {
    const end = 3 + sealed.readUInt16BE(1);
    const inner = sealed.subarray(end);
    if (inner[0] !== DATA_KEY_SEALED) throw new Error('unknown PII ciphertext version');
    plain = open(inner, unwrapDataKey(sealed.subarray(3, end), base64Key));
  } else
    throw new Error(
      sealed[0] === DATA_KEY_SEALED
        ? 'a customer record needs its data key (customerEnvelope)'
        : 'unknown PII ciphertext version',
    );
  return JSON.parse(plain.toString('utf8')) as T;
}

/** Show only what a picker or courier needs: initial of the name, last 4 digits of the phone. */
export function maskName(name: string): string {
  const first = [...name.trim()][0];
  return first ? `${first}**` : '';
}

/** `138****5678` style: keeps the last 4 digits for hand-over checks. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits.length <= 4 ? '****' : `${'*'.repeat(Math.min(7, digits.length - 4))}${digits.slice(-4)}`;
}
