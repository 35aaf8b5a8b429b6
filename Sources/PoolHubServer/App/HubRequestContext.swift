// The per-request context of every route.

package import Hummingbird

/// Per-request context of the hub's routes.
package struct HubRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    package var maxUploadSize: Int { maxBodyBytes }
}
