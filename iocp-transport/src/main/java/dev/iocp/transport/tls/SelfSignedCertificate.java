package dev.iocp.transport.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * A self-signed certificate made at run time with the JDK's public APIs only: an EC P-256 key pair
 * ({@link KeyPairGenerator}), an X.509 v3 certificate written here in DER and signed with SHA256withECDSA
 * ({@link Signature}), read back by the JDK's {@link CertificateFactory} (which checks what we wrote). The JDK has
 * no public API that builds a certificate (keytool's classes are internal), and the encoding needed is small.
 *
 * <p>For tests and for {@code iocp echo --tls} / {@code race --tls}: the subject and issuer are {@code CN=<name>},
 * the subject alternative names {@code DNS:localhost} and {@code IP:127.0.0.1}, and the extensions are the ones
 * {@code openssl req -x509} writes (subject and authority key identifiers, basicConstraints CA:TRUE, key usage
 * digitalSignature + keyCertSign) plus extendedKeyUsage serverAuth + clientAuth, so that the certificate can be its
 * own trust anchor for the JDK and for OpenSSL (Python's {@code ssl}), strict X.509 checking included.
 */
public final class SelfSignedCertificate {
    private final X509Certificate certificate;
    private final PrivateKey privateKey;

    private SelfSignedCertificate(X509Certificate certificate, PrivateKey privateKey) {
        this.certificate = certificate;
        this.privateKey = privateKey;
    }

    /**
     * Generates a key pair and a certificate valid from a day ago for ten years.
     *
     * @param commonName the subject's CN, e.g. "localhost"
     * @param random the randomness for the key and the signature (null: the JDK's default)
     * @return the certificate and its key
     * @throws GeneralSecurityException if the JDK lacks EC or SHA256withECDSA
     */
    public static SelfSignedCertificate generate(String commonName, SecureRandom random)
            throws GeneralSecurityException {
        SecureRandom rnd = random != null ? random : new SecureRandom();
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"), rnd);
        KeyPair pair = kpg.generateKeyPair();

        byte[] spki = pair.getPublic().getEncoded(); // SubjectPublicKeyInfo, DER, as X.509 wants it
        byte[] keyId = subjectKeyId(spki);
        byte[] sigAlg = seq(oid(1, 2, 840, 10045, 4, 3, 2)); // ecdsa-with-SHA256, no parameters
        byte[] name = seq(set(seq(oid(2, 5, 4, 3), tlv(0x0C, commonName.getBytes(StandardCharsets.UTF_8)))));
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        byte[] validity = seq(time(now.minusDays(1)), time(now.plusYears(10)));
        byte[] serial = tlv(0x02, new BigInteger(63, rnd).add(BigInteger.ONE).toByteArray());
        byte[] extensions = tlv(0xA3, seq(
                extension(oid(2, 5, 29, 14), false, tlv(0x04, keyId)),                       // subjectKeyIdentifier
                extension(oid(2, 5, 29, 35), false, seq(tlv(0x80, keyId))),                  // authorityKeyIdentifier
                extension(oid(2, 5, 29, 19), true, seq(tlv(0x01, new byte[] {(byte) 0xFF}))), // basicConstraints CA
                extension(oid(2, 5, 29, 15), true, tlv(0x03, new byte[] {2, (byte) 0x84})),   // keyUsage: dS, kCS
                extension(oid(2, 5, 29, 37), false, seq(oid(1, 3, 6, 1, 5, 5, 7, 3, 1),     // serverAuth
                        oid(1, 3, 6, 1, 5, 5, 7, 3, 2))),                                      // clientAuth
                extension(oid(2, 5, 29, 17), false, seq(                                       // subjectAltName
                        tlv(0x82, "localhost".getBytes(StandardCharsets.US_ASCII)),
                        tlv(0x87, new byte[] {127, 0, 0, 1})))));
        byte[] tbs = seq(tlv(0xA0, tlv(0x02, new byte[] {2})), serial, sigAlg, name, validity, name, spki,
                extensions);
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(pair.getPrivate(), rnd);
        signer.update(tbs);
        byte[] signature = signer.sign();
        byte[] der = seq(tbs, sigAlg, bitString(signature));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        cert.verify(pair.getPublic()); // what we encoded is what we signed
        return new SelfSignedCertificate(cert, pair.getPrivate());
    }

    /** {@return the certificate} */
    public X509Certificate certificate() {
        return certificate;
    }

    /** {@return its private key} */
    public PrivateKey privateKey() {
        return privateKey;
    }

    /** {@return the certificate in PEM ("BEGIN CERTIFICATE")} */
    public String certificatePem() {
        try {
            return TlsContexts.pem("CERTIFICATE", certificate.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@return the private key in PEM, PKCS#8 unencrypted ("BEGIN PRIVATE KEY"), as OpenSSL reads it} */
    public String privateKeyPem() {
        return TlsContexts.pem("PRIVATE KEY", privateKey.getEncoded());
    }

    // ------------------------------------------------------------------ DER, just what a certificate needs

    private static byte[] subjectKeyId(byte[] spki) throws GeneralSecurityException {
        // RFC 5280 §4.2.1.2 method 1 asks for the SHA-1 of the key's BIT STRING; any stable unique value is
        // allowed, and the SHA-1 of the whole SubjectPublicKeyInfo is one. It is an identifier, not a security
        // property.
        return MessageDigest.getInstance("SHA-1").digest(spki);
    }

    private static byte[] extension(byte[] oid, boolean critical, byte[] value) {
        return critical ? seq(oid, tlv(0x01, new byte[] {(byte) 0xFF}), tlv(0x04, value)) : seq(oid, tlv(0x04, value));
    }

    private static byte[] time(ZonedDateTime t) {
        // UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
        if (t.getYear() < 2050) {
            return tlv(0x17, t.format(DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")).getBytes(StandardCharsets.US_ASCII));
        }
        return tlv(0x18, t.format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")).getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] bitString(byte[] bytes) {
        byte[] v = new byte[bytes.length + 1]; // first octet: unused bits in the last byte (none)
        System.arraycopy(bytes, 0, v, 1, bytes.length);
        return tlv(0x03, v);
    }

    private static byte[] oid(int... arcs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++) {
            int a = arcs[i];
            int shift = 28;
            while (shift > 0 && (a >>> shift) == 0) {
                shift -= 7;
            }
            for (; shift > 0; shift -= 7) {
                out.write(0x80 | ((a >>> shift) & 0x7F));
            }
            out.write(a & 0x7F);
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] seq(byte[]... items) {
        return tlv(0x30, concat(items));
    }

    private static byte[] set(byte[]... items) {
        return tlv(0x31, concat(items));
    }

    private static byte[] concat(byte[]... items) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] i : items) {
            out.writeBytes(i);
        }
        return out.toByteArray();
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >>> 16);
            out.write(n >>> 8);
            out.write(n);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

}
