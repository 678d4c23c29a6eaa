import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminFetch, adminToken } from '../helpers/admin.js';
let server: TestServer;
beforeAll(async () => { server = await startTestServer(); });
afterAll(async () => server?.stop());
// Malformed, duplicated, wrong-typed and unstorable input on every endpoint: 4xx, never a 500.
it('never answers 500 to hostile input', async () => {
  const paths = ['/token', '/revoke', '/introspect', '/par', '/userinfo', '/login', '/consent', '/authorize', '/logout', '/admin/users'];
  const bodies: [string, string][] = [
    ['application/json', '[1,2]'], ['application/json', '{"grant_type":["a","b"]}'], ['application/json', 'null'], ['application/json', '"str"'],
    ['application/x-www-form-urlencoded', 'a=%E0%A4%A'], ['application/x-www-form-urlencoded', '__proto__=x&constructor=y'],
    ['application/x-www-form-urlencoded', 'grant_type=refresh_token&refresh_token=lk_rt_' + 'a'.repeat(200)],
    ['application/x-www-form-urlencoded', 'grant_type=authorization_code&code=lk_ac_x&code_verifier=' + 'a'.repeat(200)],
    ['application/x-www-form-urlencoded', 'token=' + 'x'.repeat(4000)], ['text/plain', 'hello'], ['multipart/form-data; boundary=x', '--x\r\n'],
    ['application/x-www-form-urlencoded', 'csrf_token=a&request_id[]=b'],
    ['application/x-www-form-urlencoded', 'username=a%00b&password=x&grant_type=client_credentials&client_id=a%00'],
    ['application/json', '{"username":"a\\u0000b","password":"x","name":"n\\u0000"}'],
    ['application/x-www-form-urlencoded', 'client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=eyJhbGciOiJub25lIn0.eyJzdWIiOnt9fQ.'],
    ['application/x-www-form-urlencoded', 'client_assertion_type=x&client_assertion=' + 'a.'.repeat(1500)],
  ];
  const bad: string[] = [];
  for (const path of paths) for (const [type, body] of bodies) {
    for (const method of ['POST', 'GET']) {
      const r = await fetch(server.url + path + (method === 'GET' ? '?' + body : ''), { method, headers: method === 'POST' ? { 'content-type': type } : {}, body: method === 'POST' ? body : undefined, redirect: 'manual' });
      if (r.status >= 500) bad.push(`${method} ${path} ${type} ${body.slice(0, 40)} -> ${r.status} ${(await r.text()).slice(0, 100)}`);
    }
  }
  for (const q of ['client_id=%00', 'request_id=../../etc', 'id_token_hint=a.b.c', 'id_token_hint=eyJhbGciOiJub25lIn0.eyJpYXQiOiJ4In0.', 'post_logout_redirect_uri=javascript:alert(1)&client_id=x']) {
    for (const p of ['/authorize', '/login', '/consent', '/logout', '/authorize/resume']) {
      const r = await fetch(server.url + p + '?' + q, { redirect: 'manual' });
      if (r.status >= 500) bad.push(`GET ${p}?${q} -> ${r.status} ${(await r.text()).slice(0, 100)}`);
    }
  }
  const admin = adminFetch(server, (await adminToken(server)).token);
  for (const body of [{ username: 'nul', password: 'x', name: 'a\u0000b' }, { username: 'x', password: 'p\u0000w' }]) {
    const response = await admin('POST', '/admin/users', body);
    if (response.status >= 500) bad.push(`POST /admin/users ${JSON.stringify(body)} -> ${response.status}`);
  }
  expect(bad).toEqual([]);
});
