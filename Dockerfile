# Duet server image. Builds only from the npm registry and Debian packages.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng libspeexdsp1 python3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# onnxruntime-node's install script would fetch CUDA 12 libraries Duet does not use (the CPU runtime
# ships in the package). npm 11.19+ skips it through package.json allowScripts; the npm 10 of this
# image reads this variable instead.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY server ./server
COPY models ./models
COPY protocol ./protocol
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
EXPOSE 8080
# models.cacheDir: the first start downloads the default models here (mount a volume to keep them).
RUN mkdir -p /app/.cache/models && chown node:node /app/.cache/models
USER node
# The same command as `npm start` (whose `exec` only replaces npm's shell with node, so signals reach it). --no-concurrent-marking: a Duet process is meant to have one core
# (one process per core behind the load balancer); on one core V8's background marking threads
# preempt the event loop for tens of ms, while incremental marking on the main thread takes ~1 ms
# steps (bench:remote). Drop the flag for a process that has spare cores.
# --initial-old-space-size=128: see the README (one full collection every ~0.6 s under load without it).
CMD ["node", "--no-concurrent-marking", "--initial-old-space-size=128", "--import", "tsx", "server/main.ts"]
