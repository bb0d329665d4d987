#!/bin/sh
# Copy the pinned dist files (with their source maps, which manifest static storage needs) into static/vendor/.
# Usage: cd otklik/web/vendor && npm ci && npm run vendor
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nm="$here/node_modules"
out="$here/../static/vendor"
rm -rf "$out"
mkdir -p "$out/htmx" "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/chartjs" "$out/tom-select"
cp "$nm/htmx.org/dist/htmx.min.js" "$nm/htmx.org/LICENSE" "$out/htmx/"
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/css/bootstrap.min.css.map" \
   "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js.map" \
   "$nm/bootstrap/LICENSE" "$out/bootstrap/"
cp "$nm/bootstrap-icons/font/bootstrap-icons.min.css" "$nm/bootstrap-icons/LICENSE" "$out/bootstrap-icons/"
cp "$nm/bootstrap-icons/font/fonts/bootstrap-icons.woff" "$nm/bootstrap-icons/font/fonts/bootstrap-icons.woff2" \
   "$out/bootstrap-icons/fonts/"
cp "$nm/chart.js/dist/chart.umd.min.js" "$nm/chart.js/dist/chart.umd.min.js.map" "$nm/chart.js/LICENSE.md" "$out/chartjs/"
cp "$nm/tom-select/dist/js/tom-select.complete.min.js" "$nm/tom-select/dist/js/tom-select.complete.min.js.map" \
   "$nm/tom-select/dist/css/tom-select.bootstrap5.min.css" "$nm/tom-select/dist/css/tom-select.bootstrap5.min.css.map" \
   "$nm/tom-select/LICENSE" "$out/tom-select/"
echo "vendored into $out"
