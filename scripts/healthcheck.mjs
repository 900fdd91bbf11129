// @ts-check
// The container's HEALTHCHECK: GET /health on this process's own port, exit 0 when it answers 200.
// Plain JavaScript with no dependency, so it runs in the runtime image as it is.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const port = Number(process.env.PORT || 9000);
// With TLS_CERT_FILE the service serves HTTPS only; its certificate names the service, not 127.0.0.1.
const request = process.env.TLS_CERT_FILE ? httpsRequest : httpRequest;
const probe = request({ host: '127.0.0.1', port, path: '/health', timeout: 2500, rejectUnauthorized: false }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
probe.on('timeout', () => probe.destroy(new Error('timeout')));
probe.on('error', () => process.exit(1));
probe.end();
