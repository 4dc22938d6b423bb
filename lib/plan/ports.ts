/**
 * The one port table. Security groups, target groups, health checks and deployment.toml all read it,
 * so changing a port is one edit.
 */
export const PORTS = {
  /** Load balancer listeners. */
  loadBalancerHttps: 443,
  loadBalancerHttp: 80,
  /** Portals (publisher, devportal, admin, carbon) and the management console, HTTPS. */
  portalHttps: 9443,
  /** Servlet HTTP transport (WSO2's own automation health-checks /services/Version here). */
  servletHttp: 9763,
  /** API gateway (passthrough/NIO) transports. */
  gatewayHttps: 8243,
  gatewayHttp: 8280,
  /** WebSocket gateway transports; the load balancer sends the gateway host's `Upgrade: websocket` requests to wss. */
  websocketWss: 8099,
  websocketWs: 9099,
  /**
   * Node-to-node, TLS only: throttle events (WSO2's binary receiver on its SSL port) and the JMS broker's
   * AMQP SSL listener. The plain twins (binary 9611, AMQP 5672) still listen, but nothing the program
   * configures uses them and no security group opens them.
   */
  throttleBinarySsl: 9711,
  jmsBrokerSsl: 8672,
  /** Shared services. */
  mysql: 3306,
  nfs: 2049,
} as const;

/** Ports only the nodes may open to one another (seed step 8), never to the load balancer or the world. */
export const NODE_TO_NODE_PORTS = [PORTS.throttleBinarySsl, PORTS.jmsBrokerSsl] as const;

/**
 * What a Universal Gateway dials on the pair (its deployment.toml): the key manager, event hub and
 * throttling REST services over HTTPS, the JMS broker for throttle decisions and revocations over TLS, and
 * the traffic managers' binary receivers over TLS. Nothing else of the pair is open to the gateways.
 */
export const GATEWAY_TO_CONTROL_PLANE_PORTS = [PORTS.portalHttps, PORTS.jmsBrokerSsl, PORTS.throttleBinarySsl] as const;

/**
 * The path WSO2 answers on once the server has fully started (the readiness probe of WSO2's Helm chart),
 * served on the portal HTTPS port.
 */
export const HEALTH_CHECK_PATH = "/api/am/gateway/v2/server-startup-healthcheck";
