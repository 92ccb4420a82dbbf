/** The payload codec: large payloads travel gzipped and come back as they were; small ones stay readable JSON. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { COMPRESS_FROM_BYTES, GZIP_ENCODING, GzipPayloadCodec } from '../../config/payload-codec';
import { withoutSourcesContent } from '../../workers/bundle-workflows';

const codec = new GzipPayloadCodec();
const encodingOf = (p: { metadata?: Record<string, Uint8Array> | null }): string =>
  Buffer.from(p.metadata?.encoding ?? []).toString('utf8');

/** A layered spec like the bench's (each task waits for two of the layer before): the shape of a real large input. */
function bigSpec(tasks: number): unknown {
  return {
    name: 'big',
    tasks: Array.from({ length: tasks }, (_x, i) => ({
      id: `l${Math.floor(i / 100)}_${i % 100}`,
      nodeClass: 'general',
      command: 'true',
      ...(i >= 100
        ? { dependsOn: [`l${Math.floor(i / 100) - 1}_${i % 100}`, `l${Math.floor(i / 100) - 1}_${(i + 1) % 100}`] }
        : {}),
    })),
  };
}

describe('GzipPayloadCodec', () => {
  test('leaves a small payload as plain JSON, so the Web UI shows it', async () => {
    const payload = defaultPayloadConverter.toPayload({ name: 'small', tasks: [] });
    const [encoded] = await codec.encode([payload]);
    assert.equal(encodingOf(encoded!), 'json/plain');
    assert.deepEqual(encoded, payload);
  });

  test('gzips a large payload below a tenth of its size, and decodes it to the same value', async () => {
    const value = bigSpec(50_000);
    const payload = defaultPayloadConverter.toPayload(value);
    assert.ok(payload.data!.length > 4 * 1024 * 1024, 'the plain payload passes gRPC’s 4 MB message limit');
    const [encoded] = await codec.encode([payload]);
    assert.equal(encodingOf(encoded!), GZIP_ENCODING);
    assert.ok(encoded!.data!.length < payload.data!.length / 5, `${encoded!.data!.length} bytes`);
    const [decoded] = await codec.decode([encoded!]);
    assert.equal(encodingOf(decoded!), 'json/plain');
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), value);
  });

  test('passes through payloads it did not encode (histories recorded before it), whatever their size', async () => {
    const payload = defaultPayloadConverter.toPayload('x'.repeat(COMPRESS_FROM_BYTES * 2));
    const [decoded] = await codec.decode([payload]);
    assert.deepEqual(decoded, payload);
  });
});

describe('withoutSourcesContent', () => {
  test('drops the sources of an inline source map and keeps its mappings', () => {
    const map = { version: 3, file: 'b.js', sources: ['a.ts'], sourcesContent: ['const a = 1;'], mappings: 'AAAA' };
    const code = `var a = 1;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
    const out = withoutSourcesContent(code);
    assert.ok(out.startsWith('var a = 1;\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,'));
    const kept = JSON.parse(Buffer.from(out.slice(out.indexOf('base64,') + 7).trim(), 'base64').toString()) as object;
    assert.deepEqual(kept, { version: 3, file: 'b.js', sources: ['a.ts'], mappings: 'AAAA' });
  });
});
