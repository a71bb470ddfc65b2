import { Button, type ButtonProps } from "@mantine/core";
import { useEffect, useState } from "react";

/**
 * A button for an action that cannot be undone: the first press asks ("Sure? Delete"), a second
 * press within 4 seconds acts. Works the same from the keyboard.
 */
export function ConfirmButton({
  label,
  onConfirm,
  ...props
}: ButtonProps & { label: string; onConfirm: () => void; "aria-label"?: string }) {
  const [asking, setAsking] = useState(false);
  useEffect(() => {
    if (!asking) return;
    const t = setTimeout(() => setAsking(false), 4000);
    return () => clearTimeout(t);
  }, [asking]);
  return (
    <Button
      color="red"
      variant={asking ? "filled" : "light"}
      {...props}
      aria-label={asking ? `Confirm: ${props["aria-label"] ?? label}` : props["aria-label"]}
      onClick={() => {
        if (!asking) setAsking(true);
        else {
          setAsking(false);
          onConfirm();
        }
      }}
    >
      {asking ? `Sure? ${label}` : label}
    </Button>
  );
}
