// The README's worker.js: the seed's, changed only to listen on the socket the master hands it.
require('http')
  .createServer((req, res) => res.end('hello fork\n'))
  .listen({ fd: 3 }, () => console.log(`the server is start at port 3001, PID=${process.pid}`));
