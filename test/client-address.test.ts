// The one key every per-address limit counts under (src/http/client-address.ts).
import { describe, expect, it } from "vitest";
import { clientAddressKey } from "../src/http/client-address";

describe("clientAddressKey", () => {
  it("an IPv4 address is itself; an IPv6 address is its /64, however it is written", () => {
    expect(clientAddressKey("203.0.113.9")).toBe("203.0.113.9");
    for (const written of ["2001:db8:1:2::1", "2001:DB8:1:2:ffff:ffff:ffff:ffff", "2001:0db8:0001:0002:0:0:0:9", " 2001:db8:1:2::5 "]) {
      expect(clientAddressKey(written), written).toBe("2001:db8:1:2::/64");
    }
    expect(clientAddressKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(clientAddressKey("::1")).toBe("0:0:0:0::/64");
    expect(clientAddressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(clientAddressKey("2001:db8::1.2.3.4")).toBe("2001:db8:0:0::/64");
  });

  it("an IPv4-mapped IPv6 address is its IPv4; no header is no client; what is no address is kept as sent", () => {
    expect(clientAddressKey("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(clientAddressKey("::ffff:c633:6407")).toBe("198.51.100.7");
    expect(clientAddressKey(undefined)).toBeUndefined();
    expect(clientAddressKey("")).toBeUndefined();
    expect(clientAddressKey("1:2:3:4:5:6:7:8:9")).toBe("1:2:3:4:5:6:7:8:9");
    expect(clientAddressKey("1::2::3")).toBe("1::2::3");
  });
});
