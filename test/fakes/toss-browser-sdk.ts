// Loopback fake of TossPayments' browser SDK (v2 "standard", js.tosspayments.com/v2/standard) for
// the browser tests: `TossPayments(clientKey).payment({ customerKey }).requestBillingAuth({ method,
// successUrl, failUrl })` sends the buyer to the fake's card page, which, like Toss's own window,
// authorizes the card at the Toss API fake and returns to `successUrl?customerKey=…&authKey=…`
// (or to `failUrl?code=…&message=…` after decline(); after closeWindowNext() the SDK rejects with
// USER_CANCEL, as when the buyer closes Toss's window).
import { startFakeServer, type FakeServer } from './http.js';
import type { FakeToss } from './toss.js';

export interface FakeTossBrowserSdk extends FakeServer {
  /** The URL to give the server as TOSS_SDK_URL. */
  readonly sdkUrl: string;
  /** The next authorization fails as if the buyer's card was refused. */
  decline(code?: string, message?: string): void;
  /** The next SDK served rejects its first requestBillingAuth as when the buyer closes Toss's window. */
  closeWindowNext(): void;
}

const sdkSource = (base: string, closeWindow: boolean) => `(() => {
  const base = ${JSON.stringify(base)};
  let closeWindow = ${closeWindow};
  window.TossPayments = (clientKey) => ({
    payment: ({ customerKey }) => ({
      requestBillingAuth: (request) => {
        if (request.method !== 'CARD') return Promise.reject(Object.assign(new Error('method must be CARD'), { code: 'INVALID_METHOD' }));
        if (closeWindow) {
          closeWindow = false;
          return Promise.reject(Object.assign(new Error('취소되었습니다.'), { code: 'USER_CANCEL' }));
        }
        const url = new URL(base + '/billing-auth');
        for (const [name, value] of Object.entries({ clientKey, customerKey, successUrl: request.successUrl, failUrl: request.failUrl })) url.searchParams.set(name, value);
        location.assign(url.href);
        return new Promise(() => {});
      },
    }),
  });
})();`;

export async function startFakeTossBrowserSdk(api: FakeToss): Promise<FakeTossBrowserSdk> {
  let declined: { code: string; message: string } | null = null;
  let closeWindow = false;
  let base = '';
  const server = await startFakeServer({
    contentType: 'text/plain; charset=utf-8',
    serverError: () => ({ status: 500, body: 'fake error' }),
    notFound: () => ({ status: 404, body: 'not found' }),
    routes: [
      {
        method: 'GET',
        pattern: '/v2/standard',
        handler: () => {
          const body = sdkSource(base, closeWindow);
          closeWindow = false;
          return { status: 200, body, headers: { 'content-type': 'text/javascript; charset=utf-8' } };
        },
      },
      {
        method: 'GET',
        pattern: '/billing-auth',
        handler: (request) => {
          const query = request.query as Record<string, string>;
          const back = new URL(declined ? query.failUrl! : query.successUrl!);
          if (declined) {
            back.searchParams.set('code', declined.code);
            back.searchParams.set('message', declined.message);
            declined = null;
          } else {
            back.searchParams.set('customerKey', query.customerKey!);
            back.searchParams.set('authKey', api.authorize(query.customerKey!));
          }
          return { status: 302, headers: { location: back.href } };
        },
      },
    ],
    onReset: () => {
      declined = null;
      closeWindow = false;
    },
  });
  base = server.url;
  return Object.assign(server, {
    sdkUrl: `${server.url}/v2/standard`,
    decline(code = 'REJECT_CARD_COMPANY', message = '카드 승인이 거절되었습니다.') {
      declined = { code, message };
    },
    closeWindowNext() {
      closeWindow = true;
    },
  });
}
