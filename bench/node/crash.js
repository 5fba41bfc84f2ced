// A worker that crashes at once.
process.exit(1);
