/// A UTC instant at one-second resolution, in the two spellings SigV4 uses: `20150830T123600Z`
/// (`X-Amz-Date`) and `20150830` (the credential scope's date).
///
/// Kept free of Foundation's date formatters, which are slow and locale-sensitive.
public struct AmzDate: Sendable, Hashable, Comparable {
    public let secondsSince1970: Int64

    public init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
    }

    /// Parses `YYYYMMDDTHHMMSSZ`.
    public init?(amzDate text: String) {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var v = 0
            for i in range {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        self.secondsSince1970 = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    public var amzDate: String {
        let (date, time) = components
        return date + "T" + time + "Z"
    }

    public var dateStamp: String { components.0 }

    var components: (String, String) {
        let days = Int(secondsSince1970 >= 0 ? secondsSince1970 / 86400 : (secondsSince1970 - 86399) / 86400)
        let secondsOfDay = Int(secondsSince1970 - Int64(days) * 86400)
        let (y, m, d) = Self.civilFromDays(days)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let date = pad(y, 4) + pad(m, 2) + pad(d, 2)
        let time = pad(secondsOfDay / 3600, 2) + pad(secondsOfDay / 60 % 60, 2) + pad(secondsOfDay % 60, 2)
        return (date, time)
    }

    public static func < (lhs: AmzDate, rhs: AmzDate) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension AmzDate {
    /// The system clock, now.
    public static func now() -> AmzDate {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return AmzDate(secondsSince1970: Int64(ts.tv_sec))
    }
}
