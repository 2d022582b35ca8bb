// The client bundle budget (`npm run size`, part of `npm test`). size-limit leaves a package's
// peerDependencies out of every check; an app ships xstate with Tether, so it is put back here.
// The goals are 24 kB and 25 kB (bench/RESULTS.md); the limits sit just above today's sizes, so
// that any growth fails `npm test`.
const withPeers = (external) => (config) => ({ ...config, external });

export default [
  {
    name: 'client runtime (createTetherClient) with all its dependencies',
    path: 'bench/bundle/tether-client.ts',
    modifyEsbuildConfig: withPeers([]),
    gzip: true,
    limit: '27.2 kB',
  },
  {
    name: 'client runtime + Solid hooks (solid-js left to the app)',
    path: 'bench/bundle/tether-solid.ts',
    modifyEsbuildConfig: withPeers(['solid-js', 'solid-js/web']),
    gzip: true,
    limit: '27.7 kB',
  },
  {
    name: 'socket.io-client (io), for comparison',
    path: 'bench/bundle/socket-io-client.ts',
    gzip: true,
  },
  {
    name: 'centrifuge (Centrifuge), for comparison',
    path: 'bench/bundle/centrifuge.ts',
    gzip: true,
  },
];
