import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Personal data at rest: AES-256-GCM from Node's crypto (authenticated, so a tampered
 * ciphertext fails to open). Layout: version byte, 12-byte IV, 16-byte tag, ciphertext.
 */
const VERSION = 1;

function key(base64Key: string): Buffer {
  const k = Buffer.from(base64Key, 'base64');
  if (k.length !== 32) throw new Error(`PII_ENCRYPTION_KEY must be 32 bytes in base64 (got ${k.length})`);
  return k;
}

/** Encrypt a JSON-serialisable value. */
export function sealPii(value: unknown, base64Key: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key(base64Key), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Decrypt what `sealPii` produced; throws when the key is wrong or the bytes were altered. */
export function openPii<T>(sealed: Buffer, base64Key: string): T {
  if (sealed[0] !== VERSION) throw new Error('unknown PII ciphertext version');
  const decipher = createDecipheriv('aes-256-gcm', key(base64Key), sealed.subarray(1, 13));
  decipher.setAuthTag(sealed.subarray(13, 29));
  return JSON.parse(Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]).toString('utf8')) as T;
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
