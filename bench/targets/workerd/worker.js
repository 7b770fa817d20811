// The trivial handler as a workerd module worker: same function, adapted to fetch.
const handler = async (event) => ({ statusCode: 200, body: 'ok' });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const r = await handler({ version: '2.0', rawPath: url.pathname, rawQueryString: url.search.slice(1), headers: Object.fromEntries(request.headers) });
    return new Response(r.body, { status: r.statusCode });
  },
};
