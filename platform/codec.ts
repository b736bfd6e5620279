import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const ENCODING_BYTES = new TextEncoder().encode(ENCODING);
const ALGORITHM = 'aes-256-gcm';

/**
 * Encrypts every Temporal payload (workflow inputs, results, signals, updates, memo) with
 * AES-256-GCM, so what the server stores — order lines, locations, anything personal — is
 * ciphertext. Search attributes are not payloads and are never encrypted: they must never
 * hold personal data. The key id travels with each payload, so keys can rotate: decoding
 * accepts every key in `keys`, encoding uses `activeKeyId`.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly activeKeyId: string,
  ) {
    for (const [id, key] of keys) if (key.length !== 32) throw new Error(`payload key ${id} must be 32 bytes`);
    if (!keys.has(activeKeyId)) throw new Error(`no payload key ${activeKeyId}`);
  }

  /** A codec from one base64 key with id `id`. */
  static fromBase64(base64Key: string, id = 'k1'): EncryptionCodec {
    return new EncryptionCodec(new Map([[id, Buffer.from(base64Key, 'base64')]]), id);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { encoding: ENCODING_BYTES, 'encryption-key-id': new TextEncoder().encode(this.activeKeyId) },
        data: Buffer.concat([iv, cipher.getAuthTag(), body]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? new TextDecoder().decode(p.metadata.encoding) : undefined;
      if (encoding !== ENCODING || !p.data) return p; // written before encryption was on
      const keyId = p.metadata?.['encryption-key-id'] ? new TextDecoder().decode(p.metadata['encryption-key-id']) : '';
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`payload encrypted with unknown key ${keyId}`);
      const data = Buffer.from(p.data);
      const decipher = createDecipheriv(ALGORITHM, key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
