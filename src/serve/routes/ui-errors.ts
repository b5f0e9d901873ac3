// An error answered with its own HTTP status: the server's error handler sends any 4xx error's
// message as `{"error": message}` (src/serve/server.ts).
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
