import { afterEach, describe, expect, it } from "vitest";
import { setLocale } from "../src/i18n.js";
import { councilsText, forceName, methodName, partyName } from "../src/panels/engines.js";

afterEach(() => setLocale("en"));

describe("engine panels in the reader's language", () => {
  it("translate the councils' default rules with the server's number, else keep the English", () => {
    const note = { key: "no_rules", args: { n: 100000 } };
    expect(councilsText("English", note)).toBe("No council rules ship with this territory: one seat per 100,000 residents.");
    setLocale("ar");
    expect(councilsText("English", note)).toBe("لا ترافق هذه الأراضي قواعد للمجالس: مقعد واحد لكل ١٠٠٬٠٠٠ نسمة.");
    expect(councilsText("Provincial rules 2023", undefined)).toBe("Provincial rules 2023");
    expect(councilsText("English", { key: "no_such", args: {} })).toBe("English");
  });

  it("name forces, settlement methods and parties from the catalogue, else as the server does", () => {
    setLocale("ckb");
    expect(forceName({ force: "peshmerga", name: "Peshmerga" })).toBe("پێشمەرگە");
    expect(forceName({ force: "my_force", name: "My force" })).toBe("My force");
    expect(methodName("knaster")).toBe("ڕێکاری کناستەر");
    expect(methodName("new-method")).toBe("new-method");
    setLocale("ar");
    expect(partyName("krg")).toBe("حكومة إقليم كوردستان");
    expect(partyName("alpha")).toBe("alpha");
  });
});
