// `node --import bursar/register app.js`: the entry point that auto-instruments the
// provider SDKs. The instrumentation issue fills it; until then importing it is
// harmless and patches nothing.
export {};
