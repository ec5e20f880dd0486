const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  update(text: string): void;
}

/**
 * Runs a long operation with a spinner on stderr when stderr is a terminal; elsewhere (pipes, CI)
 * it prints the label once, so logs still say what took the time.
 */
export async function withSpinner<T>(
  label: string,
  stderr: { write(text: string): void; isTTY?: boolean },
  run: (progress: Progress) => Promise<T>,
): Promise<T> {
  let text = label;
  if (!stderr.isTTY) {
    stderr.write(`${label}...\n`);
    return run({ update: () => {} });
  }
  let frame = 0;
  const draw = () => stderr.write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  draw();
  const timer = setInterval(draw, 80);
  try {
    return await run({
      update(next) {
        text = next;
      },
    });
  } finally {
    clearInterval(timer);
    stderr.write('\r\u001b[2K');
  }
}
