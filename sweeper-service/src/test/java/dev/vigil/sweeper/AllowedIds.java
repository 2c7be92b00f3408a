package dev.vigil.sweeper;

import dev.vigil.contracts.event.Check;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/** Ids as {@link Check#id} allows them: 1-128 of letters, digits and {@code . _ : @ -}, from a letter or digit. */
public final class AllowedIds {

    private AllowedIds() {
    }

    public static Arbitrary<String> arbitrary() {
        Arbitrary<Character> first = Arbitraries.chars().alpha().numeric();
        Arbitrary<String> rest = Arbitraries.strings().alpha().numeric().withChars("._:@-").ofMinLength(0)
                .ofMaxLength(Check.MAX_ID_LENGTH - 1);
        return first.flatMap(c -> rest.map(r -> c + r))
                .edgeCases(edges -> edges.add("z".repeat(Check.MAX_ID_LENGTH)))
                .filter(id -> Check.id(id, "id").equals(id));
    }
}
