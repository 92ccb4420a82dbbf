/** A static page served by a local HTTP server process: a directory, its index.html and the server. */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { Directory, File } from '../providers/local-files';
import { Process } from '../providers/local-process';
import { defineProgram } from './program';

const configSchema = z.strictObject({
  dir: z.string().refine(isAbsolute, 'must be an absolute path'),
  message: z.string().min(1, 'must not be empty').max(10_000),
  port: z.number().int().min(1024, 'must be 1024-65535 (no privileged ports)').max(65535, 'must be 1024-65535'),
});

/** Serves index.html from its working directory, read per request so an update needs no restart. */
const SERVER_SCRIPT = [
  "const http = require('node:http'); const fs = require('node:fs');",
  "http.createServer((req, res) => fs.readFile('index.html', (err, body) => {",
  "  res.writeHead(err ? 500 : 200, { 'content-type': 'text/html; charset=utf-8' }); res.end(err ? 'index.html unreadable' : body);",
  "})).listen(Number(process.argv[1]), '127.0.0.1');",
].join('\n');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(message: string): string {
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>Capstan site</title></head>\n<body><p>${escapeHtml(message)}</p></body></html>\n`;
}

/** `local-site`: a page with a message served on a loopback port. */
export const localSiteProgram = defineProgram({
  name: 'local-site',
  description:
    'A directory with an index.html showing a message, served by a local HTTP server process on a loopback port.',
  configSchema,
  secretFields: [],
  async run(config) {
    const dir = new Directory('site-dir', { path: config.dir });
    const index = new File('index-html', {
      path: dir.path.apply((path) => join(path, 'index.html')),
      content: page(config.message),
    });
    const server = new Process(
      'http-server',
      {
        command: process.execPath,
        args: ['-e', SERVER_SCRIPT, String(config.port)],
        cwd: dir.path,
        logFile: dir.path.apply((path) => join(path, 'server.log')),
        waitForPort: config.port,
      },
      { dependsOn: [index] },
    );
    return {
      // Tied to the server so a downstream task gets the URL only once something answers on it.
      url: server.pid.apply(() => `http://127.0.0.1:${config.port}/`),
      path: dir.path,
      pid: server.pid,
    };
  },
});
