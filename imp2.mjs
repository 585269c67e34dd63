const t = performance.now();
for (const what of process.argv.slice(2)) await import(what);
console.log((performance.now() - t).toFixed(1));
