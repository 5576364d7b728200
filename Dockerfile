# wsherd as an image, for sharded runs on Kubernetes (`wsherd k8s render --image …`) or anywhere Docker runs.
#   docker build -t wsherd:dev .
#   docker run --rm wsherd:dev --version
#   docker run --rm -v "$PWD:/work" wsherd:dev run scenarios/sharded-target.yaml -e WSHERD_TARGET=ws://host:8080/
# See docs/sharding.md, "Kubernetes".

# --- build: compile the TypeScript (npm ci runs no scripts here: `prepare` would build before the sources are in) ---
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY commands ./commands
COPY bin ./bin
RUN npm run build

# --- runtime: production dependencies, the compiled code, and the files it reads at run time ---
FROM node:20-slim AS runtime
# ss (iproute2) samples the socket table each second; without it wsherd reads /proc/net/tcp, slower at 10k+ sockets.
RUN apt-get update \
  && apt-get install -y --no-install-recommends iproute2 \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/commands ./dist/commands
COPY reports ./reports
COPY scenarios ./scenarios
COPY schema ./schema
# `wsherd` on PATH too: the merge Job's shell line calls it by name.
RUN chmod 0755 /app/bin/run.js && ln -s /app/bin/run.js /usr/local/bin/wsherd \
  && mkdir -p /work && chown node:node /work
# The node images' unprivileged user (uid 1000; the manifests set runAsUser: 1000 so runAsNonRoot can check it).
USER node
WORKDIR /work
ENTRYPOINT ["node", "/app/bin/run.js"]
CMD ["--help"]
