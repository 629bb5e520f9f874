package io.sluice.applier.render.nft;

import java.util.regex.Pattern;

/** What nft accepts as a table, chain, set or map name (its scanner's identifier), at most 256 bytes. */
final class NftNames {
    /** nft's identifier: a letter, '_' or '.' first, then letters, digits and {@code / \ _ . -}. */
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_.][A-Za-z0-9/\\\\_.\\-]*");
    static final int MAX_LENGTH = 256;

    private NftNames() {
    }

    static String checkName(String what, String name) {
        if (name == null || !IDENTIFIER.matcher(name).matches() || name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + " name '" + name + "' is not an nft identifier of at most "
                    + MAX_LENGTH + " characters");
        }
        return name;
    }

    static boolean isName(String name) {
        return name != null && IDENTIFIER.matcher(name).matches() && name.length() <= MAX_LENGTH;
    }
}
