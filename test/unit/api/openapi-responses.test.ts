// The OpenAPI document lists every answer the API can give, not only the happy ones: 404 where a
// path names something that may not exist, 413 where a body is read, and 400/401/403 on every
// protected operation (the token, the role and the input guard apply to all of them).
import { expect } from 'chai';
import { apiRegistry } from '../../../api/openapi';

interface Operation {
  operationId: string;
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, { schema: unknown }> }>;
}

describe('OpenAPI document: error answers', () => {
  const doc = apiRegistry().document() as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

  it('walks a document with every operation', () => {
    expect(operations.length).to.be.greaterThan(40);
    expect(doc.components.schemas).to.have.property('Error');
  });

  it('documents 404 on every operation whose path names something', () => {
    const missing = operations
      .filter(({ path, op }) => path.includes('{') && !op.responses['404'])
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(missing).to.deep.equal([]);
  });

  it('documents 413 on every operation that reads a body (every POST, PUT and PATCH)', () => {
    const missing = operations
      .filter(({ method, op }) => (op.requestBody || ['post', 'put', 'patch'].includes(method)) && !op.responses['413'])
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(missing).to.deep.equal([]);
  });

  it('documents 400, 401 and 403 on every protected operation, and 400 wherever input is taken', () => {
    const missing: string[] = [];
    for (const { path, method, op } of operations) {
      const isProtected = !(Array.isArray(op.security) && op.security.length === 0);
      const wanted = isProtected ? ['400', '401', '403'] : op.requestBody ? ['400'] : [];
      for (const status of wanted)
        if (!op.responses[status]) missing.push(`${method.toUpperCase()} ${path}: ${status}`);
    }
    expect(missing).to.deep.equal([]);
  });

  it('gives every error answer a description and the Error schema', () => {
    const bad: string[] = [];
    for (const { path, method, op } of operations) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (Number(status) < 400 || (status === '503' && path === '/healthz')) continue;
        if (!r.description) bad.push(`${method} ${path} ${status}: no description`);
        if (!r.content?.['application/json']) bad.push(`${method} ${path} ${status}: no JSON content`);
      }
    }
    expect(bad).to.deep.equal([]);
  });
});
