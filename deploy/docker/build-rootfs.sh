#!/bin/sh
# Installs certctl the way an operator would: `npm install` of packed tarballs into an empty
# directory. Run by the images' `install` stage and, with the same arguments, by the test that
# checks what the images contain (tooling/deploy/images.test.ts).
#   build-rootfs.sh <server|agent> <tarball-dir> <prefix> [<extra package> ...]
# The app and the extra packages (connectors) are dependencies; every other tarball in the
# directory overrides the registry for its package, as the registry would serve it once published.
set -eu
app="$1"; tarballs="$2"; prefix="$3"; shift 3
case "$app" in
  server|agent) ;;
  *) echo "build-rootfs.sh: the app is server or agent, not '$app'" >&2; exit 2 ;;
esac
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$prefix"
node - "$app" "$tarballs" "$prefix" "$@" <<'NODE'
const { readdirSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const [app, tarballDir, prefix, ...extras] = process.argv.slice(2);
const byName = new Map();
for (const file of readdirSync(tarballDir).filter((f) => f.endsWith('.tgz'))) {
  // pnpm pack names a tarball certctl-<name>-<version>.tgz
  const name = `@certctl/${file.replace(/^certctl-/, '').replace(/-\d+\.\d+\.\d+(?:-[\w.]+)?\.tgz$/, '')}`;
  byName.set(name, `file:${resolve(tarballDir, file)}`);
}
const wanted = [`@certctl/${app}`, ...extras];
const missing = wanted.filter((name) => !byName.has(name));
if (missing.length) {
  console.error(`build-rootfs.sh: no tarball for ${missing.join(', ')} in ${tarballDir}`);
  process.exit(1);
}
const dependencies = Object.fromEntries(wanted.map((name) => [name, byName.get(name)]));
const overrides = Object.fromEntries([...byName].filter(([name]) => !wanted.includes(name)));
writeFileSync(
  join(prefix, 'package.json'),
  `${JSON.stringify({ name: `certctl-${app}-image`, private: true, dependencies, overrides }, null, 2)}\n`,
);
NODE
cd "$prefix"
# No lifecycle scripts: nothing at run time needs one, and the image should not run code at build.
npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error
# The tarballs are referenced by absolute path in the lockfile; the image does not carry them.
rm -f package-lock.json
cp "$here/healthcheck.mjs" "$prefix/healthcheck.mjs"
"$prefix/node_modules/.bin/certctl-$app" --version
