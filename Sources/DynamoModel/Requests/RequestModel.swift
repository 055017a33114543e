/// DynamoDB's API model, reduced to what the request-shape check needs: each input member's
/// type. Generated from botocore's service models (`RequestModel+Shapes.swift`,
/// `scripts/gen-request-model.py`), so a member is checked as the API defines it at that place
/// (`Tags[0].Key` is a string, `Key` of GetItem an item key) and a valid request is never refused.
enum RequestModel {
    enum Shape: Sendable {
        /// Members by name, each a shape number. Members the model does not name are left to the
        /// table store (the cache never serves a request that has them).
        case structure([String: Int])
        case list(Int)
        /// String keys, values of one shape.
        case map(Int)
        case string, integer, number, boolean, timestamp
        case attributeValue
    }
}
