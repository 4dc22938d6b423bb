/** The public URLs users open, from the two host names (the load balancer listens on 443). */
export function clusterUrls(hostNames: { readonly portal: string; readonly gateway: string }) {
    const portal = `https://${hostNames.portal}`;
    return {
        portalUrl: portal,
        publisherUrl: `${portal}/publisher`,
        devportalUrl: `${portal}/devportal`,
        adminUrl: `${portal}/admin`,
        carbonUrl: `${portal}/carbon`,
        gatewayUrl: `https://${hostNames.gateway}`,
    };
}
