#include "api/routes.hpp"

#include <stdexcept>

#include "api/json_io.hpp"
#include "core/text.hpp"

namespace cloudopt::api {

Router BuildRouter(ApiContext& context) {
    Router router;
    detail::AddSystemRoutes(router, context);
    detail::AddResourceRoutes(router, context);
    detail::AddMetricRoutes(router, context);
    detail::AddRemoteWriteRoutes(router, context);
    detail::AddPredictionRoutes(router, context);
    detail::AddDashboardRoutes(router, context);
    detail::AddAuthRoutes(router, context);
    detail::AddAdminRoutes(router, context);
    detail::AddCredentialRoutes(router, context);
    detail::AddStaticRoutes(router, context);
    detail::AddSimulationRoutes(router, context);
    detail::AddCostRoutes(router, context);
    auto control = std::make_shared<AccessControl>(context.auth, context.access);
    // A route missing from the permission table is a programming error; refuse to serve rather than guess.
    if (Status s = InstallAccessControl(router, std::move(control)); !s) throw std::logic_error(s.error().message);
    return router;
}

namespace detail {

Result<Resource> ResolveResource(Store& store, const std::string& id_or_name) {
    if (id_or_name.empty()) return MakeError(ErrorCode::kInvalidArgument, "resource: give a resource id or name");
    // "id:7" and "name:web" say which is meant; a bare number is an id (names cannot be numbers).
    if (id_or_name.rfind("id:", 0) == 0) {
        auto id = ParseInt(std::string_view(id_or_name).substr(3));
        if (!id) return MakeError(ErrorCode::kInvalidArgument, "resource: 'id:' must be followed by a number");
        return store.GetResource(*id);
    }
    if (id_or_name.rfind("name:", 0) == 0) return store.FindResourceByName(id_or_name.substr(5));
    if (auto id = ParseInt(id_or_name)) return store.GetResource(*id);
    return store.FindResourceByName(id_or_name);
}

Result<std::optional<Resource>> ParseResourceSelector(const HttpRequest& request, Store& store,
                                                      const std::string& what) {
    if (request.body.empty()) return std::optional<Resource>();
    auto body = ParseJsonBody(request);
    if (!body) return body.error();
    if (Status s = CheckKnownFields(*body, {"resource"}, what); !s) return s.error();
    if (!body->contains("resource")) return std::optional<Resource>();
    const json& v = (*body)["resource"];
    if (!v.is_string() && !v.is_number_integer())
        return MakeError(ErrorCode::kUnprocessable, "resource: must be an id or a name");
    auto resource = ResolveResource(store, v.is_string() ? v.get<std::string>() : v.dump());
    if (!resource) return resource.error();
    return std::optional<Resource>(std::move(*resource));
}

Result<std::int64_t> PathId(const HttpRequest& request, const char* what) {
    auto id = ParseInt(request.path_params.at("id"));
    if (!id || *id <= 0)
        return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " id must be a positive integer");
    return *id;
}

Result<std::optional<long long>> IntParam(const HttpRequest& request, const std::string& name, long long min,
                                          long long max) {
    auto raw = request.Query(name);
    if (!raw || raw->empty()) return std::optional<long long>();
    auto v = ParseInt(*raw);
    if (!v || *v < min || *v > max)
        return MakeError(ErrorCode::kInvalidArgument, name + ": must be an integer between " + std::to_string(min) +
                                                          " and " + std::to_string(max) + " (got '" + *raw + "')");
    return std::optional<long long>(*v);
}

}  // namespace detail
}  // namespace cloudopt::api
