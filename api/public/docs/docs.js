// Lists the operations of /openapi.json: no framework, no CDN, works offline.
'use strict';
(() => {
  const h = (tag, props, ...kids) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    return el;
  };
  const json = (v) => h('pre', {}, JSON.stringify(v, null, 2));

  function operation(path, method, op) {
    const params = op.parameters || [];
    const body = op.requestBody && op.requestBody.content['application/json'].schema;
    return h('details', { class: 'op', 'data-search': `${method} ${path} ${op.summary} ${(op['x-roles'] || []).join(' ')} ${op.tags.join(' ')}`.toLowerCase(), id: op.operationId },
      h('summary', {}, h('span', { class: `method ${method}` }, method), h('span', { class: 'path' }, path), h('span', { class: 'summary' }, op.summary)),
      h('div', { class: 'body' },
        op.description ? h('p', {}, op.description) : null,
        h('p', { class: 'roles' }, op['x-roles'] ? `Bearer token with role: ${op['x-roles'].join(' or ')}` : 'No token needed', ` · operationId ${op.operationId}`),
        params.length ? h('table', {}, h('tr', {}, h('th', {}, 'parameter'), h('th', {}, 'in'), h('th', {}, 'required'), h('th', {}, 'schema')),
          params.map((p) => h('tr', {}, h('td', {}, p.name), h('td', {}, p.in), h('td', {}, p.required ? 'yes' : 'no'), h('td', {}, JSON.stringify(p.schema))))) : null,
        body ? [h('h4', {}, 'Request body'), json(body)] : null,
        h('h4', {}, 'Responses'),
        Object.entries(op.responses).map(([status, r]) => h('div', {}, h('strong', {}, status), ` ${r.description}`, r.content ? json(r.content['application/json'].schema) : null))));
  }

  document.addEventListener('DOMContentLoaded', async () => {
    const main = document.getElementById('ops');
    try {
      const doc = await (await fetch('/openapi.json')).json();
      document.getElementById('title').textContent = `${doc.info.title} ${doc.info.version}`;
      document.getElementById('description').textContent = doc.info.description;
      const byTag = new Map();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          const tag = op.tags[0];
          if (!byTag.has(tag)) byTag.set(tag, []);
          byTag.get(tag).push(operation(path, method, op));
        }
      }
      main.replaceChildren(...[...byTag].flatMap(([tag, ops]) => [h('h2', {}, tag), ...ops]));
      document.getElementById('filter').addEventListener('input', (e) => {
        const q = e.target.value.toLowerCase();
        for (const el of main.querySelectorAll('details.op')) el.hidden = q !== '' && !el.dataset.search.includes(q);
      });
    } catch (err) {
      main.replaceChildren(h('p', {}, `Could not load /openapi.json: ${err.message}`));
    }
  });
})();
