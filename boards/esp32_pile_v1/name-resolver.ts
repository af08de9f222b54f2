// The DNS resolver the ECMA-419 WebSocket client asks for (its `dns.io`: `new io(options)`, then
// `resolve({ host, onResolved(host, address), onError(host) })`), over the network stack's own
// look-up (Moddable's `Net.resolve`: lwIP's dns_gethostbyname, which also takes dotted IPv4
// literals). The SDK's ECMA-419 UDP resolver (examples/io/udp/dns) is not in the shared SDK subset.
export type NameLookup = (name: string, callback: (name: string, address?: string) => void) => void;

export type NameResolverOptions = { lookup: NameLookup };

export type NameRequest = { host: string; onResolved(host: string, address: string): void; onError(host: string): void };

export class NameResolver {
  readonly #lookup: NameLookup;

  constructor(options: NameResolverOptions) {
    this.#lookup = options.lookup;
  }

  resolve(request: NameRequest): void {
    try {
      this.#lookup(request.host, (_name, address) => (address ? request.onResolved(request.host, address) : request.onError(request.host)));
    } catch {
      // lwIP's look-up queue is full: the client sees a failed look-up, as for an unknown name.
      request.onError(request.host);
    }
  }
}
