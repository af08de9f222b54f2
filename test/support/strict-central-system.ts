// A central system that is not the relay, for the pile's OCPP tests: an `ocpp-rpc` RPCServer in
// strict mode on 127.0.0.1, checking every message a pile sends against the official OCPP 1.6 JSON
// schemas `ocpp-rpc` ships. The test answers each action; every call answered is recorded.
import type { AddressInfo } from 'node:net';
import { RPCServer } from 'ocpp-rpc';

/** The part of ocpp-rpc's RPCServerClient the tests use. */
export type ServerClient = {
  handle(method: string, handler: (call: { params: Record<string, unknown> }) => unknown): void;
  call(method: string, params: unknown, options?: Record<string, unknown>): Promise<unknown>;
  sendRaw(message: string): void;
  close(options?: Record<string, unknown>): Promise<unknown>;
  on(event: string, listener: (event: never) => void): void;
};

export type Received = { action: string; params: Record<string, unknown> };

/** Answers `action` on one connection with `answer(params)`, recording the call first. */
export type Answer = (action: string, answer: (params: Record<string, unknown>) => unknown) => void;

/** `path` follows the port in the piles' URL (`/ocpp/` or `/ocpp/PILE-1`); `onClient` sets up each connection's answers. */
export async function strictCentralSystem(path: string, onClient: (client: ServerClient, answer: Answer) => void) {
  const server = new RPCServer({ protocols: ['ocpp1.6'], strictMode: true, pingIntervalMs: 0 });
  const validationFailures: string[] = [];
  const received: Received[] = [];
  const clients: ServerClient[] = [];
  server.on('client', (serverClient) => {
    const client = serverClient as unknown as ServerClient;
    clients.push(client);
    client.on('strictValidationFailure', (event: { outbound: boolean; method: string; error: Error }) => {
      if (!event.outbound) validationFailures.push(`${event.method}: ${event.error.message}`);
    });
    onClient(client, (action, answer) => client.handle(action, ({ params }) => {
      received.push({ action, params });
      return answer(params);
    }));
  });
  const http = await server.listen(0, '127.0.0.1');
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}${path}`,
    validationFailures,
    received,
    clients,
    of: (action: string) => received.filter((r) => r.action === action).map((r) => r.params),
    close: () => server.close({ force: true }),
  };
}
