export type Theme = 'dark' | 'light';

const KEY = 'certctl.theme';

/** The saved choice (not a secret: the only thing the dashboard keeps in storage), else the system's. */
export function initialTheme(): Theme {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved === 'dark' || saved === 'light') return saved;
  } catch {
    // storage disabled: follow the system
  }
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // storage disabled: the choice lasts for this page
  }
}
