# Duet server image. Builds only from the npm registry and Debian packages.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng libspeexdsp1 python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY server ./server
COPY models ./models
COPY protocol ./protocol
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
EXPOSE 8080
USER node
# The same command as `npm start`. --no-concurrent-marking: a Duet process is meant to have one core
# (one process per core behind the load balancer); on one core V8's background marking threads
# preempt the event loop for tens of ms, while incremental marking on the main thread takes ~1 ms
# steps (bench:remote). Drop the flag for a process that has spare cores.
CMD ["node", "--no-concurrent-marking", "--import", "tsx", "server/main.ts"]
