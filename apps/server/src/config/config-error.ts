/** A configuration problem that stops start-up; its message is the one line an operator reads. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
