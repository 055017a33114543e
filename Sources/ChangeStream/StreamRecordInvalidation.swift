import Cache
import DynamoModel

/// What one stream record makes stale: its item, with the images it carries. With both images
/// (NEW_AND_OLD_IMAGES, or what the event kind implies: an INSERT has no old image, a REMOVE no
/// new one) every index partition is named; otherwise the images are unknown and every GSI's
/// query groups go.
enum StreamRecordInvalidation {
    static func write(_ record: JSONValue) -> WrittenItem? {
        guard let change = record["dynamodb"], let keysJSON = change["Keys"],
            let key = try? Item.fromJSON(keysJSON, parameter: "Keys"), !key.isEmpty
        else { return nil }
        let new = change["NewImage"].flatMap { try? Item.fromJSON($0, parameter: "NewImage") }
        let old = change["OldImage"].flatMap { try? Item.fromJSON($0, parameter: "OldImage") }
        let view = change["StreamViewType"]?.stringValue
        let event = record["eventName"]?.stringValue
        var images: [Item]?
        switch (view, event) {
        case ("NEW_AND_OLD_IMAGES", _): images = [new, old].compactMap { $0 }
        case ("NEW_IMAGE", "INSERT"): images = new.map { [$0] }
        case ("OLD_IMAGE", "REMOVE"): images = old.map { [$0] }
        default: images = nil
        }
        return WrittenItem(key: key, images: images)
    }
}
