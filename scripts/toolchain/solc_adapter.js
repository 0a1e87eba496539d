#!/usr/bin/env node
// Native-solc command line over the official solc-js (WebAssembly) build.
//
// py-solc-x and ape-solidity drive `solc --version` and `solc --standard-json`;
// solcjs's own CLI rejects their flags and prints an SMT banner before the JSON.
// This shim answers those two calls exactly as native solc does, so the same
// compiler (same version, same commit, same bytecode) runs where native
// binaries cannot be downloaded. Installed as `solc-v<version>` by
// scripts/toolchain/install_solc.py.
"use strict";
const fs = require("fs");
const path = require("path");

const solcModule = process.env.KP_SOLCJS_MODULE || "solc";
const solc = require(require.resolve(solcModule, { paths: [process.env.KP_NODE_MODULES || process.cwd()] }));

function nativeVersion() {
  // "0.8.30+commit.73712a01.Emscripten.clang" -> "0.8.30+commit.73712a01.Linux.g++"
  return solc.version().replace(/\.Emscripten\.clang$/, ".Linux.g++");
}

function parseArgs(argv) {
  const opts = { basePath: null, includePaths: [], standardJson: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (arg.includes("=")) return arg.slice(arg.indexOf("=") + 1);
      i += 1;
      return argv[i];
    };
    if (arg === "--version") opts.version = true;
    else if (arg === "--standard-json") opts.standardJson = true;
    else if (arg.startsWith("--base-path")) opts.basePath = value();
    else if (arg.startsWith("--include-path")) opts.includePaths.push(value());
    else if (arg.startsWith("--allow-paths")) value(); // solc-js reads only what the callback serves
    else if (arg === "-" ) continue;
    else {
      process.stderr.write(`solc adapter: unsupported argument ${arg}\n`);
      process.exit(2);
    }
  }
  return opts;
}

function importCallback(opts) {
  const roots = [opts.basePath || process.cwd(), ...opts.includePaths];
  return (sourcePath) => {
    const candidates = path.isAbsolute(sourcePath)
      ? [sourcePath]
      : roots.map((root) => path.resolve(root, sourcePath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${sourcePath} (searched ${roots.join(", ")})` };
  };
}

const opts = parseArgs(process.argv.slice(2));
if (opts.version) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${nativeVersion()}\n`);
  process.exit(0);
}
if (!opts.standardJson) {
  process.stderr.write("solc adapter: only --version and --standard-json are supported\n");
  process.exit(2);
}
const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: importCallback(opts) }));
process.stdout.write("\n");
