// Writes apps/<app>/Dockerfile for every app in apps.json from the one recipe
// in deploy/docker/Dockerfile.template. Run after editing the template:
//   npm run stamp -w @tickpulse/deploy-check
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const apps = require('../apps.json');
const template = fs.readFileSync(
  path.join(root, 'deploy/docker/Dockerfile.template'),
  'utf8',
);

for (const [app, port] of Object.entries(apps)) {
  const dir = path.join(root, 'apps', app);
  fs.mkdirSync(dir, { recursive: true });
  const text = template
    .replaceAll('__APP__', app)
    .replaceAll('__PORT__', String(port));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), text);
  console.log(`wrote apps/${app}/Dockerfile`);
}
